import sys

from experiment_analytics.cli import main

sys.exit(main())
