"""Scheduled jobs: `flask jobs run` sends the notices that are due once (`runner`), and each
notice goes to a person once a day whatever runs at once (`models.SentNotice`)."""
