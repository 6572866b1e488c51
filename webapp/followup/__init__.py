"""Step ⑧ 售后跟踪: the follow-up tasks of the C card (`models`, `services`)."""
