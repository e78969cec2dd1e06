"""python -m monitor"""

from monitor.cli import entry

entry()
