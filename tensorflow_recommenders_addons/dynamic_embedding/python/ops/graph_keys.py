"""`de.GraphKeys`: upstream's graph collection names for variables."""


class GraphKeys:
  """Names of graph collections for `de.Variable`s (deprecated upstream).

  As upstream's, variables are not added to them by themselves (a
  `de.Variable` holds no value of its own, which broke
  `import_meta_graph`); scripts that want them add variables with
  `tf.compat.v1.add_to_collections(names, var)`.
  """
  DYNAMIC_EMBEDDING_VARIABLES = "dynamic_embedding_variables"
  TRAINABLE_DYNAMIC_EMBEDDING_VARIABLES = "trainable_dynamic_embedding_variables"
