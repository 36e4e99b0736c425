"""Build-time check: resolves spark.jars.packages and round-trips a tiny Delta table."""
from pyspark.sql import SparkSession

spark = SparkSession.builder.appName("delta-warmup").getOrCreate()
path = "/tmp/delta-warmup"
spark.range(3).write.format("delta").mode("overwrite").save(path)
count = spark.read.format("delta").load(path).count()
assert count == 3, f"Delta warm-up read {count} rows, expected 3"
spark.stop()
