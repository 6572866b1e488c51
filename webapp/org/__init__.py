"""Organisation: dealer groups and stores (经销店). Every business row belongs to a store."""
