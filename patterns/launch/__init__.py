"""Start and stop the processes of a system on free loopback ports, and clean up after them."""

from .process import ManagedProcess, ProcessFailed, free_port, wait_for_http
from .system import System

__all__ = ["ManagedProcess", "ProcessFailed", "System", "free_port", "wait_for_http"]
