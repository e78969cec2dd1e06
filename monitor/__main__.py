"""python -m monitor"""

from monitor.entry import main

main()
