"""`soko-hub bench`: the hub's performance targets (DESIGN.md section 9), each measured beside a
reference run in the same invocation and reported as a ratio, because these machines are noisy."""
