"""Runnable demos: ``python -m demos.xor``, ``python -m demos.backprop_by_hand``, ..."""
