"""Step ⑤ 试乘试驾: cars, routes, bookings and the offline test-drive packet."""
