"""Delta Lake interop harness: reads and writes the kit's lake tables on MinIO through two
independent engines, delta-rs (the `deltalake` package) and Spark with Delta, so tests can prove
that a table written by one reader/writer looks the same to the others.

Run by the venv of stack/python-env/lake (stack/lake-env.ts sets the environment). Every command
prints one JSON document on stdout; errors go to stderr with a non-zero exit code.

  describe --engine deltars|spark --uri s3://bucket/path [--version N] [--column C ...]
  spark-write | deltars-write --uri ... --rows N [--partition-by dia] [--mode error|overwrite|append]
  spark-update --uri ... --set "valor = valor * 2" [--where "id % 7 = 0"]
  spark-sql [--uri ...] --sql "SELECT count(*) FROM {table}"
  batch      (one JSON argv array per stdin line -> one {"ok", "result"|"error"} line each, one JVM)

Environment: MINIO_HOST, MINIO_PORT, MINIO_ROOT_USER, MINIO_ROOT_PASSWORD (required);
LAKE_SPARK_JARS (os.pathsep-separated jar files: Delta + s3a), JAVA_HOME (Spark commands only);
optional LAKE_SPARK_DRIVER_MEMORY (default 1g) and LAKE_SPARK_JAVA_OPTIONS (replaces the JIT/GC tuning).
Global option --conf key=value (repeatable) adds Spark settings, e.g. to try another Parquet
timestamp type.
"""

from __future__ import annotations

import argparse
import datetime as dt
import decimal
import hashlib
import json
import math
import os
import shlex
import sys
import tempfile
import time
from collections.abc import Callable
from typing import Any

# The JVM that PySpark starts inherits fd 1; keep stdout for our JSON only and send everything
# else (JVM banners, warnings) to stderr.
_JSON_OUT = os.fdopen(os.dup(1), "w", encoding="utf-8")
os.dup2(2, 1)
sys.stdout = sys.stderr


class UsageError(Exception):
    """A problem with the command line or environment, reported without a traceback."""


class TableError(Exception):
    """An engine's failure on one table, already reduced to readable text."""


class ArgParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would exit; batch mode must survive
        raise UsageError(f"{self.prog}: {message}")


# ---------------------------------------------------------------------------------------------
# Configuration


def _env(name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise UsageError(f"variável de ambiente {name} ausente (o lado TypeScript a passa a partir do .env)")
    return value


def minio() -> dict[str, str]:
    return {
        "endpoint": f"http://{_env('MINIO_HOST')}:{_env('MINIO_PORT')}",
        "access_key": _env("MINIO_ROOT_USER"),
        "secret_key": _env("MINIO_ROOT_PASSWORD"),
    }


def split_uri(uri: str) -> tuple[str, str]:
    """bucket and key prefix of s3://, s3a:// or bare bucket/path URIs."""
    rest = uri
    for scheme in ("s3a://", "s3://"):
        if uri.startswith(scheme):
            rest = uri[len(scheme) :]
            break
    else:
        if "://" in uri:
            raise UsageError(f"URI {uri!r}: use s3://bucket/caminho (ou s3a://)")
    rest = rest.strip("/")
    bucket, _, key = rest.partition("/")
    if not bucket or not key:
        raise UsageError(f"URI {uri!r}: esperado s3://bucket/caminho")
    return bucket, key


def deltars_uri(uri: str) -> str:
    bucket, key = split_uri(uri)
    return f"s3://{bucket}/{key}"


def spark_uri(uri: str) -> str:
    bucket, key = split_uri(uri)
    return f"s3a://{bucket}/{key}"


def storage_options() -> dict[str, str]:
    m = minio()
    return {
        "AWS_ENDPOINT_URL": m["endpoint"],
        "AWS_ACCESS_KEY_ID": m["access_key"],
        "AWS_SECRET_ACCESS_KEY": m["secret_key"],
        "AWS_REGION": "us-east-1",
        "AWS_ALLOW_HTTP": "true",
        # MinIO honours If-None-Match on PUT: delta-rs commits safely without a DynamoDB lock.
        "aws_conditional_put": "etag",
    }


# ---------------------------------------------------------------------------------------------
# Spark session (lazy, one per process)

_SPARK: Any = None
_EXTRA_CONF: dict[str, str] = {}
TIMINGS: dict[str, float] = {}

_LOG4J2 = """\
rootLogger.level = error
rootLogger.appenderRef.stderr.ref = console
appender.console.type = Console
appender.console.name = console
appender.console.target = SYSTEM_ERR
appender.console.layout.type = PatternLayout
appender.console.layout.pattern = %d{HH:mm:ss} %p %c{1}: %m%n
"""


def _log4j_file() -> str:
    path = os.path.join(tempfile.gettempdir(), "liga-sudoers-lake-log4j2.properties")
    try:
        with open(path, encoding="utf-8") as f:
            if f.read() == _LOG4J2:
                return path
    except OSError:
        pass
    tmp = f"{path}.{os.getpid()}"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(_LOG4J2)
    os.replace(tmp, path)
    return path


def spark_jars() -> list[str]:
    raw = os.environ.get("LAKE_SPARK_JARS", "")
    jars = [j for j in raw.split(os.pathsep) if j]
    if not jars:
        raise UsageError("LAKE_SPARK_JARS vazio: os jars do Delta e do s3a vêm de stack/lake-env.ts (installLakeEnv)")
    missing = [j for j in jars if not os.path.isfile(j)]
    if missing:
        raise UsageError(f"jars ausentes (reinstale com installLakeEnv): {', '.join(missing)}")
    return jars


def spark() -> Any:
    global _SPARK
    if _SPARK is not None:
        return _SPARK
    started = time.monotonic()
    m = minio()
    jars = spark_jars()
    # The jars go on the JVM's class path rather than in spark.jars: in local mode the executor
    # lives in the driver's JVM, and spark.jars would make it copy every jar (the AWS SDK bundle
    # alone is ~560 MB) into a scratch folder at each start. SPARK_DIST_CLASSPATH is appended after
    # Spark's own jars (spark.driver.extraClassPath would be prepended), so the slf4j 1.x classes
    # inside the AWS SDK bundle cannot shadow Spark's slf4j 2.
    os.environ["SPARK_DIST_CLASSPATH"] = os.pathsep.join(jars)
    from pyspark.sql import SparkSession

    # C1-only JIT and the serial collector: this JVM lives seconds to minutes on small tables,
    # where they start faster on two cores (measured ~15-18 s vs ~21-23 s for start + first describe).
    tuning = os.environ.get("LAKE_SPARK_JAVA_OPTIONS", "-XX:TieredStopAtLevel=1 -XX:+UseSerialGC")
    java_options = f"-Dlog4j2.configurationFile=file:{_log4j_file()} {tuning}".strip()
    builder = (
        SparkSession.builder.master("local[2]")
        .appName("liga-sudoers-lake-interop")
        .config("spark.driver.memory", os.environ.get("LAKE_SPARK_DRIVER_MEMORY", "1g"))
        .config("spark.driver.extraJavaOptions", java_options)
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.shuffle.partitions", "2")
        .config("spark.default.parallelism", "2")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.extensions", "io.delta.sql.DeltaSparkSessionExtension")
        .config("spark.sql.catalog.spark_catalog", "org.apache.spark.sql.delta.catalog.DeltaCatalog")
        # Small tables: Delta's default of 50 partitions for log replay only costs task overhead.
        .config("spark.databricks.delta.snapshotPartitions", "2")
        # Same s3a settings as delta_lake/spark-defaults.conf, with the host's endpoint.
        .config("spark.hadoop.fs.s3a.endpoint", m["endpoint"])
        .config("spark.hadoop.fs.s3a.endpoint.region", "us-east-1")
        .config("spark.hadoop.fs.s3a.path.style.access", "true")
        .config("spark.hadoop.fs.s3a.connection.ssl.enabled", "false")
        .config("spark.hadoop.fs.s3a.impl", "org.apache.hadoop.fs.s3a.S3AFileSystem")
    )
    for key, value in _EXTRA_CONF.items():
        builder = builder.config(key, value)
    session = builder.getOrCreate()
    # Keys go into the live Hadoop configuration, not the builder: PySpark passes builder settings
    # to spark-submit as --conf arguments, which `ps` would show.
    hconf = session.sparkContext._jsc.hadoopConfiguration()
    hconf.set("fs.s3a.aws.credentials.provider", "org.apache.hadoop.fs.s3a.SimpleAWSCredentialsProvider")
    hconf.set("fs.s3a.access.key", m["access_key"])
    hconf.set("fs.s3a.secret.key", m["secret_key"])
    session.sparkContext.setLogLevel("ERROR")
    TIMINGS["sparkStartSeconds"] = round(time.monotonic() - started, 3)
    _SPARK = session
    return session


def delta_ident(uri: str) -> str:
    return f"delta.`{spark_uri(uri)}`"


# ---------------------------------------------------------------------------------------------
# Schema and checksums, normalized so both engines compare equal


def type_name(t: Any) -> str:
    """Delta/Spark JSON schema type -> one string: long, decimal(10,2), array<integer>, ..."""
    if isinstance(t, str):
        return t
    kind = t.get("type")
    if kind == "array":
        return f"array<{type_name(t['elementType'])}>"
    if kind == "map":
        return f"map<{type_name(t['keyType'])},{type_name(t['valueType'])}>"
    if kind == "struct":
        inner = ",".join(f"{f['name']}:{type_name(f['type'])}" for f in t["fields"])
        return f"struct<{inner}>"
    return json.dumps(t, sort_keys=True)


def normalize_schema(schema_json: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {"name": f["name"], "type": type_name(f["type"]), "nullable": bool(f.get("nullable", True))}
        for f in schema_json["fields"]
    ]


_INTEGRAL = {"byte", "short", "integer", "long"}


def canonical_kind(delta_type: str) -> str:
    if delta_type in _INTEGRAL:
        return "int"
    if delta_type.startswith("decimal("):
        return "decimal"
    if delta_type in ("float", "double"):
        return "float"
    if delta_type in ("date", "timestamp", "timestamp_ntz"):
        # Both engines hand these over as integers (days / microseconds since the epoch, UTC).
        return "int"
    if delta_type in ("string", "boolean", "binary"):
        return delta_type
    raise UsageError(f"checksum só para colunas de tipo primitivo (a coluna é {delta_type})")


def canonical_text(kind: str, scale: int, value: Any) -> str:
    if kind == "int":
        return str(int(value))
    if kind == "decimal":
        return format(decimal.Decimal(value).quantize(decimal.Decimal(1).scaleb(-scale)), "f")
    if kind == "float":
        return repr(float(value))
    if kind == "boolean":
        return "true" if value else "false"
    if kind == "binary":
        return bytes(value).hex()
    return str(value)


def checksum(delta_type: str, values: list[Any]) -> dict[str, Any]:
    """Order-independent: the sum (mod 2^64) of the first 8 bytes of SHA-256 of each value's
    canonical text, the null count, and for numbers the exact sum (fsum for floats)."""
    kind = canonical_kind(delta_type)
    scale = int(delta_type[:-1].split(",")[1]) if kind == "decimal" else 0
    acc = 0
    nulls = 0
    present: list[Any] = []
    for v in values:
        if v is None:
            nulls += 1
            continue
        present.append(v)
        digest = hashlib.sha256(canonical_text(kind, scale, v).encode("utf-8")).digest()
        acc = (acc + int.from_bytes(digest[:8], "big")) % (1 << 64)
    out: dict[str, Any] = {"hash": f"{acc:016x}", "nulls": nulls, "count": len(present)}
    if delta_type in _INTEGRAL:
        out["sum"] = str(sum(int(v) for v in present))
    elif kind == "decimal":
        total = sum((decimal.Decimal(v) for v in present), decimal.Decimal(0))
        out["sum"] = canonical_text("decimal", scale, total)
    elif kind == "float":
        out["sum"] = repr(math.fsum(float(v) for v in present))
    return out


def _column_type(schema: list[dict[str, Any]], column: str) -> str:
    for f in schema:
        if f["name"] == column:
            return f["type"]
    raise UsageError(f"coluna {column!r} não existe; colunas: {', '.join(f['name'] for f in schema)}")


def _with_checksums(
    result: dict[str, Any], columns: list[str], values_of: Callable[[dict[str, str]], dict[str, list[Any]]]
) -> None:
    """Adds "checksums" (per column) and "checksum" (the first column's); values_of gets
    {column: Delta type} and returns every column's values, fetched in one pass."""
    if not columns:
        return
    types = {c: _column_type(result["schema"], c) for c in columns}
    values = values_of(types)
    sums = {c: checksum(types[c], values[c]) for c in columns}
    result["checksums"] = sums
    result["checksum"] = sums[columns[0]]


# ---------------------------------------------------------------------------------------------
# describe


def describe_deltars(uri: str, version: int | None, columns: list[str]) -> dict[str, Any]:
    import pyarrow as pa
    from deltalake import DeltaTable

    table = DeltaTable(deltars_uri(uri), version=version, storage_options=storage_options())
    schema = normalize_schema(json.loads(table.schema().to_json()))
    data = table.to_pyarrow_table(columns=columns or None)
    result: dict[str, Any] = {
        "engine": "deltars",
        "version": table.version(),
        "rows": table.to_pyarrow_dataset().count_rows() if not columns else data.num_rows,
        "schema": schema,
        "partitionColumns": list(table.metadata().partition_columns),
        "files": len(table.file_uris()),
    }

    def values(types: dict[str, str]) -> dict[str, list[Any]]:
        out: dict[str, list[Any]] = {}
        for column, delta_type in types.items():
            col = data.column(column)
            if delta_type in ("timestamp", "timestamp_ntz"):
                col = col.cast(pa.timestamp("us", tz=col.type.tz)).cast(pa.int64())
            elif delta_type == "date":
                col = col.cast(pa.int32())
            out[column] = col.to_pylist()
        return out

    _with_checksums(result, columns, values)
    return result


def describe_spark(uri: str, version: int | None, columns: list[str]) -> dict[str, Any]:
    from pyspark.sql import functions as F

    s = spark()
    reader = s.read.format("delta")
    if version is not None:
        reader = reader.option("versionAsOf", version)
    df = reader.load(spark_uri(uri))
    if version is None:
        from delta.tables import DeltaTable

        version = DeltaTable.forPath(s, spark_uri(uri)).history(1).collect()[0]["version"]
    detail = s.sql(f"DESCRIBE DETAIL {delta_ident(uri)}").collect()[0]
    result: dict[str, Any] = {
        "engine": "spark",
        "version": int(version),
        "rows": None,
        "schema": normalize_schema(df.schema.jsonValue()),
        "partitionColumns": list(detail["partitionColumns"]),
        "files": len(df.inputFiles()),
    }
    collected: list[Any] | None = None

    def values(types: dict[str, str]) -> dict[str, list[Any]]:
        nonlocal collected
        exprs = []
        for column, delta_type in types.items():
            c = F.col(f"`{column}`")
            if delta_type == "timestamp":
                c = F.unix_micros(c)
            elif delta_type == "timestamp_ntz":
                # Session time zone is UTC, so the cast keeps the wall-clock digits.
                c = F.unix_micros(c.cast("timestamp"))
            elif delta_type == "date":
                c = F.unix_date(c)
            exprs.append(c)
        # One Spark job for every column (and the row count).
        collected = df.select(*exprs).collect()
        return {column: [row[i] for row in collected] for i, column in enumerate(types)}

    _with_checksums(result, columns, values)
    result["rows"] = len(collected) if collected is not None else df.count()
    return result


# ---------------------------------------------------------------------------------------------
# Test tables: the same rows from both writers, covering the types lib/lake must read

EPOCH_MICROS_2025 = 1_735_689_600_000_000  # 2025-01-01T00:00:00Z
FIRST_DAY = dt.date(2025, 1, 1)

SPARK_COLUMNS = [
    "id",
    "concat('Cliente nº ', id) AS nome",
    "cast(cast((id * 7919) % 1000000 - 250000 AS decimal(12,0)) / 100 AS decimal(10,2)) AS valor",
    "cast(id % 10 AS int) AS qtd",
    "cast(id AS double) / 8 AS taxa",
    "date_add(DATE'2025-01-01', cast(id % 5 AS int)) AS dia",
    f"timestamp_micros({EPOCH_MICROS_2025} + id * 1000003) AS criado_em",
    "id % 2 = 0 AS ativo",
    "CASE WHEN id % 3 = 0 THEN NULL ELSE concat('obs ', id) END AS obs",
]


def arrow_rows(n: int) -> Any:
    import pyarrow as pa

    ids = list(range(1, n + 1))
    cents = [(i * 7919) % 1000000 - 250000 for i in ids]
    return pa.table(
        {
            "id": pa.array(ids, pa.int64()),
            "nome": pa.array([f"Cliente nº {i}" for i in ids], pa.string()),
            "valor": pa.array([decimal.Decimal(c).scaleb(-2) for c in cents], pa.decimal128(10, 2)),
            "qtd": pa.array([i % 10 for i in ids], pa.int32()),
            "taxa": pa.array([i / 8 for i in ids], pa.float64()),
            "dia": pa.array([FIRST_DAY + dt.timedelta(days=i % 5) for i in ids], pa.date32()),
            "criado_em": pa.array([EPOCH_MICROS_2025 + i * 1000003 for i in ids], pa.timestamp("us", tz="UTC")),
            "ativo": pa.array([i % 2 == 0 for i in ids], pa.bool_()),
            "obs": pa.array([None if i % 3 == 0 else f"obs {i}" for i in ids], pa.string()),
        }
    )


def partition_list(raw: str | None) -> list[str]:
    return [p.strip() for p in (raw or "").split(",") if p.strip()]


def spark_write(uri: str, rows: int, partition_by: list[str], mode: str) -> dict[str, Any]:
    s = spark()
    started = time.monotonic()
    df = s.range(1, rows + 1).selectExpr(*SPARK_COLUMNS)
    writer = df.write.format("delta").mode(mode)
    if partition_by:
        writer = writer.partitionBy(*partition_by)
    writer.save(spark_uri(uri))
    from delta.tables import DeltaTable

    version = DeltaTable.forPath(s, spark_uri(uri)).history(1).collect()[0]["version"]
    return {"engine": "spark", "version": int(version), "rows": rows, "seconds": round(time.monotonic() - started, 3)}


def deltars_write(uri: str, rows: int, partition_by: list[str], mode: str) -> dict[str, Any]:
    from deltalake import DeltaTable, write_deltalake

    started = time.monotonic()
    opts = storage_options()
    write_deltalake(
        deltars_uri(uri), arrow_rows(rows), partition_by=partition_by or None, mode=mode, storage_options=opts
    )
    version = DeltaTable(deltars_uri(uri), storage_options=opts).version()
    return {"engine": "deltars", "version": version, "rows": rows, "seconds": round(time.monotonic() - started, 3)}


def spark_update(uri: str, set_clause: str, where: str | None) -> dict[str, Any]:
    s = spark()
    started = time.monotonic()
    # The harness's own update (tests/integracao), not outside input: SQL text by design.
    sql = f"UPDATE {delta_ident(uri)} SET {set_clause}" + (f" WHERE {where}" if where else "")  # noqa: S608
    metrics = s.sql(sql).collect()
    from delta.tables import DeltaTable

    version = DeltaTable.forPath(s, spark_uri(uri)).history(1).collect()[0]["version"]
    affected = int(metrics[0][0]) if metrics and len(metrics[0]) else None
    return {
        "engine": "spark",
        "version": int(version),
        "updatedRows": affected,
        "seconds": round(time.monotonic() - started, 3),
    }


def json_value(v: Any) -> Any:
    if isinstance(v, decimal.Decimal):
        return format(v, "f")
    if isinstance(v, (dt.datetime, dt.date)):
        return v.isoformat()
    if isinstance(v, (bytes, bytearray)):
        return bytes(v).hex()
    if isinstance(v, float) and not math.isfinite(v):
        return repr(v)
    if isinstance(v, dict):
        return {k: json_value(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_value(x) for x in v]
    if hasattr(v, "asDict"):
        return json_value(v.asDict(recursive=True))
    return v


def spark_sql(uri: str | None, sql: str, limit: int) -> dict[str, Any]:
    s = spark()
    if "{table}" in sql:
        if not uri:
            raise UsageError("o SQL usa {table}: passe --uri")
        sql = sql.replace("{table}", delta_ident(uri))
    df = s.sql(sql)
    rows = df.limit(limit + 1).collect()
    return {
        "schema": normalize_schema(df.schema.jsonValue()),
        "rows": [json_value(r.asDict(recursive=True)) for r in rows[:limit]],
        "truncated": len(rows) > limit,
    }


# ---------------------------------------------------------------------------------------------
# Command line


def parser() -> ArgParser:
    p = ArgParser(prog="lake_interop.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--conf", action="append", default=[], metavar="KEY=VALUE", help="extra Spark setting")
    sub = p.add_subparsers(dest="command", required=True, parser_class=ArgParser)

    d = sub.add_parser("describe")
    d.add_argument("--engine", choices=["deltars", "spark"], required=True)
    d.add_argument("--uri", required=True)
    d.add_argument("--version", type=int)
    d.add_argument("--column", action="append", default=[])

    for name in ("spark-write", "deltars-write"):
        w = sub.add_parser(name)
        w.add_argument("--uri", required=True)
        w.add_argument("--rows", type=int, required=True)
        w.add_argument("--partition-by", default="")
        w.add_argument("--mode", choices=["error", "overwrite", "append"], default="error")

    u = sub.add_parser("spark-update")
    u.add_argument("--uri", required=True)
    u.add_argument("--set", dest="set_clause", required=True)
    u.add_argument("--where")

    q = sub.add_parser("spark-sql")
    q.add_argument("--uri")
    q.add_argument("--sql", required=True)
    q.add_argument("--limit", type=int, default=1000)

    sub.add_parser("batch")
    return p


def apply_conf(items: list[str]) -> None:
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise UsageError(f"--conf {item!r}: esperado chave=valor")
        if _SPARK is not None and _EXTRA_CONF.get(key) != value:
            raise UsageError(f"--conf {key}: a sessão Spark já foi criada; passe-o antes do primeiro comando do batch")
        _EXTRA_CONF[key] = value


def run(argv: list[str]) -> Any:
    args = parser().parse_args(argv)
    apply_conf(args.conf)
    try:
        return dispatch(args)
    except (UsageError, TableError):
        raise
    except Exception as exc:
        uri = getattr(args, "uri", None)
        raise TableError(f"{args.command} {uri or ''}: {error_text(exc)}".replace("  ", " ")) from exc


def dispatch(args: argparse.Namespace) -> Any:
    cmd = args.command
    if cmd == "describe":
        fn = describe_deltars if args.engine == "deltars" else describe_spark
        return fn(args.uri, args.version, args.column)
    if cmd == "spark-write":
        return spark_write(args.uri, args.rows, partition_list(args.partition_by), args.mode)
    if cmd == "deltars-write":
        return deltars_write(args.uri, args.rows, partition_list(args.partition_by), args.mode)
    if cmd == "spark-update":
        return spark_update(args.uri, args.set_clause, args.where)
    if cmd == "spark-sql":
        return spark_sql(args.uri, args.sql, args.limit)
    raise UsageError("batch não se aninha")


def error_text(exc: BaseException) -> str:
    if isinstance(exc, (UsageError, TableError)):
        return str(exc)
    # Py4J errors carry the whole Java stack; the first lines name the cause.
    text = str(exc).strip()
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("at ")]
    return f"{type(exc).__name__}: " + "\n".join(lines[:12])


def emit(doc: Any) -> None:
    _JSON_OUT.write(json.dumps(doc, ensure_ascii=False) + "\n")
    _JSON_OUT.flush()


def batch() -> int:
    """One JSON argv array (or a shell-quoted line) per stdin line; one result line per command."""
    for raw_line in sys.stdin:
        line = raw_line.strip()
        if not line:
            continue
        started = time.monotonic()
        try:
            argv = json.loads(line) if line.startswith("[") else shlex.split(line)
            result = run(argv)
            emit({"ok": True, "result": result, "seconds": round(time.monotonic() - started, 3)})
        except Exception as exc:  # one failed command must not end the batch
            emit({"ok": False, "error": error_text(exc), "seconds": round(time.monotonic() - started, 3)})
    emit({"ok": True, "done": True, "timings": TIMINGS})
    return 0


def main(argv: list[str]) -> int:
    try:
        args = parser().parse_args(argv)
        if args.command == "batch":
            apply_conf(args.conf)
            return batch()
        result = run(argv)
    except UsageError as exc:
        print(f"lake_interop: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        print(f"lake_interop: {error_text(exc)}", file=sys.stderr)
        return 1
    if isinstance(result, dict) and TIMINGS:
        result = {**result, "timings": TIMINGS}
    emit(result)
    return 0


if __name__ == "__main__":
    code = main(sys.argv[1:])
    if _SPARK is not None:
        _SPARK.stop()
    # delta-rs's native runtime can abort during interpreter teardown ("terminate called without
    # an active exception") after a correct answer: leave without running it.
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)
