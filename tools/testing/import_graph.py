"""The import graph of Python package trees, read from source, and its cycles.

No module is imported: every `import` statement of every module counts, also
one inside a function, so a cycle hidden by a deferred import (or a module
`__getattr__`) is still found. Only imports between modules of the trees
given count. Edges go to what a statement names: `from a.b import c` is an
edge to the module `a.b.c` when there is one, else to the package `a.b`; the
parent packages Python initialises on the way are not edges (they may be
half-initialised while their children load, which is how packages work).

    python3 tools/testing/import_graph.py tensorflow_recommenders_addons tools

prints each cycle and exits 1 when there is one (tools/testing/
check_code_shape.sh runs it). Stdlib only.
"""

import ast
import os
import sys


def modules_under(repo_root, tree):
  """{dotted module name: file path} of every .py file under `tree`."""
  modules = {}
  for folder, _, files in os.walk(os.path.join(repo_root, tree)):
    for file_name in files:
      if not file_name.endswith(".py"):
        continue
      path = os.path.join(folder, file_name)
      parts = os.path.relpath(path, repo_root)[:-len(".py")].split(os.sep)
      if parts[-1] == "__init__":
        parts.pop()
      modules[".".join(parts)] = path
  return modules


def _imported_names(path, module, is_package):
  """Dotted names each import statement of `path` asks for (`from a import
  b` gives `a.b`, which may be a module or a name in `a`)."""
  with open(path, encoding="utf-8") as f:
    tree = ast.parse(f.read(), filename=path)
  package = module if is_package else module.rpartition(".")[0]
  names = []
  for node in ast.walk(tree):
    if isinstance(node, ast.Import):
      names += [alias.name for alias in node.names]
    elif isinstance(node, ast.ImportFrom):
      base = node.module or ""
      if node.level:  # Relative: climb from this module's package.
        anchor = package.split(".")[:len(package.split(".")) - node.level + 1]
        base = ".".join(anchor + ([base] if base else []))
      names += [base + "." + alias.name for alias in node.names]
  return names


def _target(name, modules):
  """The module of `modules` an imported dotted name loads, or None."""
  while name and name not in modules:
    name = name.rpartition(".")[0]
  return name or None


def import_graph(repo_root, trees):
  """{module: set of modules it imports} over the modules of `trees`."""
  modules = {}
  for tree in trees:
    modules.update(modules_under(repo_root, tree))
  graph = {}
  for module, path in modules.items():
    is_package = path.endswith("__init__.py")
    targets = {_target(n, modules)
               for n in _imported_names(path, module, is_package)}
    graph[module] = {t for t in targets if t and t != module}
  return graph


def cycles(graph):
  """The strongly connected components with more than one module, each as a
  sorted list (Tarjan's algorithm, iterative)."""
  index, low, on_stack, stack, found = {}, {}, set(), [], []
  for root in sorted(graph):
    if root in index:
      continue
    work = [(root, iter(sorted(graph[root])))]
    index[root] = low[root] = len(index)
    stack.append(root)
    on_stack.add(root)
    while work:
      node, children = work[-1]
      child = next(children, None)
      if child is not None:
        if child not in index:
          index[child] = low[child] = len(index)
          stack.append(child)
          on_stack.add(child)
          work.append((child, iter(sorted(graph.get(child, ())))))
        elif child in on_stack:
          low[node] = min(low[node], index[child])
        continue
      work.pop()
      if work:
        parent = work[-1][0]
        low[parent] = min(low[parent], low[node])
      if low[node] == index[node]:
        component = []
        while True:
          member = stack.pop()
          on_stack.discard(member)
          component.append(member)
          if member == node:
            break
        if len(component) > 1:
          found.append(sorted(component))
  return found


def describe(graph, component):
  """One import path around `component`, e.g. "a -> b -> a"."""
  members = set(component)
  path = [component[0]]
  while True:
    nxt = sorted(graph[path[-1]] & members)
    step = next((m for m in nxt if m not in path), None)
    if step is None:
      closing = next(m for m in nxt if m in path)
      return " -> ".join(path[path.index(closing):] + [closing])
    path.append(step)


def main(argv):
  repo_root = os.path.dirname(os.path.dirname(os.path.dirname(
      os.path.abspath(__file__))))
  graph = import_graph(repo_root, argv or ["tensorflow_recommenders_addons"])
  found = cycles(graph)
  for component in found:
    print("import cycle: " + describe(graph, component))
  return 1 if found else 0


if __name__ == "__main__":
  sys.exit(main(sys.argv[1:]))
