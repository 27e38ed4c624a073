"""How a worker behaves as a guest on someone's machine: consent, caps, schedule, idle detection, disk, earnings.

One small module per decision (BOINC's computing preferences are the model users know):
settings.py (flags and HOME/worker.toml), consent.py, schedule.py, idle.py, gate.py (when training may run),
caps.py (threads, device), pruning.py (disk cap), earnings.py (what /status reports).
"""
