"""Containerlab topology files, the lab runner and the gNMI switch emulator."""
