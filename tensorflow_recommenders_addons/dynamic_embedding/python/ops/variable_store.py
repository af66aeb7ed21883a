"""The machinery behind `de.get_variable`: a store of variables by full name.

The store lives with the outermost default graph (kept beside it, not in a
graph collection, whose contents a TF1 `Saver` would try to write into every
meta graph), so `tf.compat.v1.reset_default_graph()` and Keras'
`clear_session()` empty it.
Names and reuse follow `tf.compat.v1.variable_scope`.

It knows nothing of `de.Variable`: `dynamic_embedding_variable` binds it to
that class (`get_variable = make_get_variable(Variable)`), so this module sits
below the class it stores and imports nothing of this package.
"""

import inspect
import weakref

import tensorflow as tf

# {outermost graph: {full name: variable}}; a store goes with its graph.
_STORES = weakref.WeakKeyDictionary()

# Arguments an existing variable must match to be returned for a request.
_MUST_MATCH = ("key_dtype", "value_dtype", "dim")


def _store():
  """The {full name: variable} dict of the outermost default graph."""
  with tf.init_scope():
    graph = tf.compat.v1.get_default_graph()
  return _STORES.setdefault(graph, {})


def get_or_create(variable_class, full_name, reuse=tf.compat.v1.AUTO_REUSE,
                  **kwargs):
  """Returns the stored variable `full_name`, or creates and stores it.

  Args:
    variable_class: called as `variable_class(name=full_name, **kwargs)` to
      create the variable.
    full_name: the variable's complete name (no scope is prepended).
    reuse: False makes an existing name an error; True / AUTO_REUSE return it.
    **kwargs: constructor arguments other than `name`.

  Raises:
    ValueError: the name exists and `reuse` is False, or the existing variable
      has other dtypes or dim.
  """
  store = _store()
  existing = store.get(full_name)
  if existing is None:
    store[full_name] = variable_class(name=full_name, **kwargs)
    return store[full_name]
  if reuse is not True and reuse != tf.compat.v1.AUTO_REUSE:
    raise ValueError(
        "Variable %s already exists, disallowed. Did you mean to set "
        "reuse=True or reuse=tf.AUTO_REUSE in VarScope?" % full_name)
  for attr in _MUST_MATCH:
    if attr in kwargs and getattr(existing, attr) != kwargs[attr]:
      raise ValueError("Variable %s exists with %s=%r, requested %r" %
                       (full_name, attr, getattr(existing, attr), kwargs[attr]))
  return existing


def getter_signature(variable_class):
  """`variable_class.__init__`'s signature with `name` first and required, as
  upstream's `get_variable` has it, and `shared_name` defaulting to
  "get_variable".

  Derived rather than restated, so the getter cannot drift from the class.
  """
  parameters = [
      p.replace(default="get_variable") if p.name == "shared_name" else p
      for p in inspect.signature(variable_class.__init__).parameters.values()
      if p.name not in ("self", "name")
  ]
  name = inspect.Parameter("name", inspect.Parameter.POSITIONAL_OR_KEYWORD)
  return inspect.Signature([name] + parameters)


def make_get_variable(variable_class):
  """`get_variable` for `variable_class` (see the returned function's doc)."""
  signature = getter_signature(variable_class)

  def get_variable(*args, **kwargs):
    """Gets or creates a `Variable` named `<variable scope>/<name>`.

    Signature: `get_variable(name, key_dtype=tf.int64, ...)`, the arguments of
    `Variable` in the same order and with the same defaults, except that
    `name` comes first and is required and `shared_name` defaults to
    "get_variable". See `Variable.__init__` for what each one means;
    `short_file_name` also drops the scope prefix.

    Reuse follows `tf.compat.v1.variable_scope`: in a graph, an existing name
    under `reuse=False` raises; eagerly and inside `tf.function` scopes always
    reuse (AUTO_REUSE). The store lives with the default graph, so Keras'
    `clear_session()` forgets every variable.

    Example:
      >>> with tf.compat.v1.variable_scope("user"):
      ...   emb = de.get_variable("emb", dim=8)
      >>> emb.name
      'user/emb'

    Raises:
      TypeError: arguments that do not fit the signature.
      ValueError: the name exists in a non-reusing scope, or exists with other
        dtypes or dim.
    """
    arguments = signature.bind(*args, **kwargs)
    arguments.apply_defaults()
    kwargs = dict(arguments.arguments)
    name = kwargs.pop("name")
    scope = tf.compat.v1.get_variable_scope()
    full_name = name if kwargs["short_file_name"] or not scope.name else (
        "%s/%s" % (scope.name, name))
    reuse = scope.reuse
    if tf.executing_eagerly() or tf.inside_function():
      reuse = tf.compat.v1.AUTO_REUSE
    kwargs.update(key_dtype=tf.as_dtype(kwargs["key_dtype"]),
                  value_dtype=tf.as_dtype(kwargs["value_dtype"]),
                  dim=int(kwargs["dim"]))
    return get_or_create(variable_class, full_name, reuse=reuse, **kwargs)

  get_variable.__signature__ = signature
  # Shown (help(), docs) where upstream defines it: beside the class.
  get_variable.__module__ = variable_class.__module__
  get_variable.__qualname__ = "get_variable"
  return get_variable
