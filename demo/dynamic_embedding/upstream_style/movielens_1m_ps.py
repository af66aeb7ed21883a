"""Upstream's movielens-1m-ps demo: TF1 graph training on parameter servers,
with the tables in Redis.

Like TFRA's demo/dynamic_embedding/movielens-1m-ps: a TF1 graph
(`disable_v2_behavior`), user and movie `de.get_variable`s placed on the
parameter servers, `de.embedding_lookup` of the unique ids of each batch, a
three-layer DNN regressing the rating, `tf.compat.v1.train.AdamOptimizer`
wrapped by `DynamicEmbeddingOptimizer`, and a `MonitoredTrainingSession` per
worker. The data come from movielens_data.py (TFDS' schema, nothing
downloaded); the embeddings and their Adam slots (`<var>/Adam/m`, `/v`) live
in Redis, so every worker and parameter server shares them.

    # One process holding a parameter server and a worker (the default):
    python movielens_1m_ps.py [--short] [--config FILE] [--output_dir DIR]
    # Or one process per task, as upstream's start.sh:
    python movielens_1m_ps.py --task_mode ps --ps_list ... --worker_list ...
    python movielens_1m_ps.py --task_mode worker --is_chief --config FILE ...

The chief writes checkpoints; after training, a second Python process builds
the inference graph, restores the dense layers from the last checkpoint,
reads the embeddings from Redis and predicts a held-out batch, which must
equal what the trained graph predicted. Prints a JSON summary.
"""

import os
import socket
import sys
import tempfile

_HERE = os.path.dirname(os.path.abspath(__file__))
if _HERE not in sys.path:
  sys.path.insert(0, _HERE)

import common  # pylint: disable=wrong-import-position

common.quiet_tensorflow()

# pylint: disable=g-import-not-at-top,wrong-import-position
import numpy as np
import tensorflow as tf

import movielens_data
# pylint: enable=g-import-not-at-top,wrong-import-position

_EMBEDDING_SIZE = 32
_DENSE = (("d0", 256, "relu"), ("d1", 64, "relu"), ("d2", 1, None))


def parse_args(argv):
  parser = common.argument_parser(__doc__, "checkpoints and summary",
                                  ratings=200_000, short={"ratings": 20_000})
  # --task_mode predict: the second process.
  parser.add_argument("--task_mode", default="local",
                      choices=["local", "ps", "worker", "predict"])
  parser.add_argument("--ps_list", default="", help="host:port,...")
  parser.add_argument("--worker_list", default="", help="host:port,...")
  parser.add_argument("--task_id", type=int, default=0)
  parser.add_argument("--is_chief", action="store_true")
  parser.add_argument("--batch_size", type=int, default=64)
  parser.add_argument("--test_batch", type=int, default=1024)
  return parser.parse_args(argv)


def read_batches(args, worker_id, worker_num):
  """(train iterator, test features) of this worker's share of the data."""
  raw = movielens_data.ratings(args.ratings, "1m")
  raw = raw.map(lambda x: dict(movielens_data.numeric_ids(x),
                               user_rating=x["user_rating"]))
  shuffled = raw.shuffle(100_000, seed=2021, reshuffle_each_iteration=False)
  test = shuffled.take(args.test_batch).batch(args.test_batch)
  train = shuffled.skip(args.test_batch).shard(worker_num, worker_id)
  train_iter = tf.compat.v1.data.make_initializable_iterator(
      train.batch(args.batch_size))
  test_batch = tf.compat.v1.data.make_one_shot_iterator(test).get_next()
  return train_iter, test_batch


def embeddings(devices, creator):
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  initializer = tf.keras.initializers.RandomNormal(-1, 1, seed=5)
  return [de.get_variable(name=name, dim=_EMBEDDING_SIZE, devices=devices,
                          initializer=initializer, kv_creator=creator)
          for name in ("user_dynamic_embeddings", "movie_dynamic_embeddings")]


def dense_layers():
  init = lambda seed: tf.keras.initializers.RandomNormal(0.0, 0.1, seed=seed)
  return [tf.keras.layers.Dense(units, activation=activation, name=name,
                                kernel_initializer=init(i),
                                bias_initializer=init(10 + i))
          for i, (name, units, activation) in enumerate(_DENSE)]


def predict(batch, tables, layers):
  """Predicted ratings of a batch: lookups of unique ids, then the DNN."""
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  looked_up = []
  for table, feature, name in zip(tables, ("user_id", "movie_id"),
                                  ("user-id-weights", "movie-id-weights")):
    unique_ids, index = tf.unique(batch[feature])
    weights = de.embedding_lookup(params=table, ids=unique_ids, name=name)
    looked_up.append(tf.gather(weights, index))
  dnn = tf.concat(looked_up, axis=1)
  for layer in layers:
    dnn = layer(dnn)
  return tf.reshape(dnn, [-1])


def build_graph(batch, test_batch, devices, creator):
  """Training outputs, and the held-out predictions (inference lookups)."""
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  tables, layers = embeddings(devices, creator), dense_layers()
  prediction = predict(batch, tables, layers)
  loss = tf.keras.losses.MeanSquaredError()(batch["user_rating"], prediction)
  optimizer = de.DynamicEmbeddingOptimizer(
      tf.compat.v1.train.AdamOptimizer(learning_rate=0.001))
  update = optimizer.minimize(
      loss, global_step=tf.compat.v1.train.get_or_create_global_step())
  de.enable_inference_mode()
  try:
    test_prediction = predict(test_batch, tables, layers)
  finally:
    de.enable_train_mode()
  slots = sorted(v.name for t in tables for v in t.get_slot_variables(optimizer))
  return {"update": update, "loss": loss, "size": tables[0].size(),
          "test_prediction": test_prediction, "test_batch": test_batch,
          "slots": slots}


def start_worker(args, cluster, server_target, config_path, workdir):
  """Trains this worker's share; the chief also checkpoints and predicts."""
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  worker = "/job:worker/replica:0/task:%d" % args.task_id
  with tf.compat.v1.device(worker):
    train_iter, test_batch = read_batches(args, args.task_id,
                                          len(cluster["worker"]))
    batch = train_iter.get_next()
  setter = tf.compat.v1.train.replica_device_setter(
      ps_tasks=len(cluster["ps"]), worker_device=worker, ps_device="/job:ps")
  devices = ["/job:ps/replica:0/task:%d" % i for i in range(len(cluster["ps"]))]
  creator = de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=config_path))
  with tf.compat.v1.device(setter):
    outputs = build_graph(batch, test_batch, devices, creator)
  checkpoint_dir = os.path.join(args.output_dir, "ckpt")
  losses = []
  with tf.compat.v1.train.MonitoredTrainingSession(
      master=server_target, is_chief=args.is_chief,
      checkpoint_dir=checkpoint_dir if args.is_chief else None,
      save_checkpoint_secs=600) as sess:  # And when the session ends.
    sess.run(train_iter.initializer)
    while True:
      try:
        _, loss, size = sess.run(
            [outputs["update"], outputs["loss"], outputs["size"]])
        losses.append(float(loss))
      except tf.errors.OutOfRangeError:
        break
      if len(losses) % 100 == 0:
        print("[worker%d] step %d: loss=%.4f size=%d" %
              (args.task_id, len(losses), loss, size))
    features, predictions = sess.run([outputs["test_batch"],
                                      outputs["test_prediction"]])
  ids = {k: features[k] for k in ("user_id", "movie_id")}
  common.save_for_check(workdir, ids, predictions)
  window = max(1, len(losses) // 5)
  return {"steps": len(losses), "checkpoint_dir": checkpoint_dir,
          "loss_first_fifth": float(np.mean(losses[:window])),
          "loss_last_fifth": float(np.mean(losses[-window:])),
          "slot_variables": outputs["slots"]}


def predict_from_checkpoint(args):
  """The second process: inference graph, dense layers from the checkpoint,
  embeddings from Redis (config: $TFRA_REDIS_CONFIG_PATH or --config)."""
  from tensorflow_recommenders_addons import dynamic_embedding as de  # pylint: disable=g-import-not-at-top
  features = dict(np.load(args.features))
  creator = de.RedisTableCreator(
      de.RedisTableConfig(redis_config_abs_dir=args.config))
  de.enable_inference_mode()
  layers = dense_layers()
  prediction = predict({k: tf.constant(v) for k, v in features.items()},
                       embeddings(["/CPU:0"], creator), layers)
  saver = tf.compat.v1.train.Saver(
      var_list=dict(_checkpoint_entry(w) for layer in layers
                    for w in layer.weights))
  with tf.compat.v1.Session() as sess:
    sess.run(tf.compat.v1.global_variables_initializer())
    saver.restore(sess, tf.train.latest_checkpoint(
        os.path.join(args.output_dir, "ckpt")))
    np.save(args.predictions, sess.run(prediction))


def _checkpoint_entry(weight):
  """(name in the checkpoint, tf.Variable) of a Dense weight: a Keras 3
  weight holds its tf.Variable as `value`; a tf_keras weight is one."""
  if isinstance(weight, tf.Variable):
    return weight.name.split(":")[0], weight
  return weight.path, weight.value


def free_port():
  with socket.socket() as s:
    s.bind(("127.0.0.1", 0))
    return s.getsockname()[1]


def local_cluster(args):
  """A parameter server and a worker, each a gRPC server of this process."""
  cluster = {"ps": ["127.0.0.1:%d" % free_port()],
             "worker": ["127.0.0.1:%d" % free_port()]}
  spec = tf.train.ClusterSpec(cluster)
  servers = [tf.distribute.Server(spec, job_name=job, task_index=0)
             for job in ("ps", "worker")]
  args.is_chief, args.task_id = True, 0
  return cluster, servers[1].target, servers


def run_local(args):
  # The servers are held (a local) until the run is done.
  cluster, target, _servers = local_cluster(args)
  return common.train_then_reload(
      __file__, args,
      lambda args, config_path, workdir: start_worker(
          args, cluster, target, config_path, workdir),
      reload_flags=["--task_mode", "predict"])


def main(argv=None):
  args = parse_args(argv)
  tf.compat.v1.disable_v2_behavior()
  if args.task_mode == "local":
    return run_local(args)
  if args.task_mode == "predict":
    return predict_from_checkpoint(args)
  cluster = {"ps": args.ps_list.replace(" ", "").split(","),
             "worker": args.worker_list.replace(" ", "").split(",")}
  job = args.task_mode
  server = tf.distribute.Server(tf.train.ClusterSpec(cluster), job_name=job,
                                task_index=args.task_id)
  if job == "ps":
    common.register_ops()  # The ps runs the table ops of workers' graphs.
    return server.join()
  args.output_dir = args.output_dir or tempfile.mkdtemp(prefix="ml1m_ps_")
  with tempfile.TemporaryDirectory(prefix="ml1m_ps_") as workdir:
    return start_worker(args, cluster, server.target, args.config, workdir)


if __name__ == "__main__":
  main()
