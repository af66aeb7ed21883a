"""`python -m tensorflow_recommenders_addons.dynamic_embedding.redis_admin`."""

import sys

from .cli import main

if __name__ == "__main__":
  sys.exit(main())
