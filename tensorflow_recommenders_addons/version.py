"""Version of tensorflow_recommenders_addons and the TensorFlow it is built for."""

__version__ = "0.9.0.dev0"

# The TensorFlow release whose headers and libtensorflow_framework the op
# libraries are compiled against (see configure.py). Minor versions must match.
BUILT_FOR_TF_VERSION = "2.21.0"
