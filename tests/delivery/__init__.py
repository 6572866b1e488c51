"""Tests of step ⑦ 车辆交付: delivery day."""
