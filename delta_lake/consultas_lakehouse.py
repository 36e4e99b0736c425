"""Consultas do lakehouse com Spark: lê as camadas raw, trusted e refined (Delta Lake no MinIO)
e roda as consultas analíticas do curso — pedidos, itens e receita por UF, receita total,
fraude por regra e por UF, receita por categoria e vendas por dia.

The Spark route of the lakehouse: the same answers as the kit's TypeScript reader
(lib/lakehouse/consultas.ts), computed by Spark SQL, for when the data outgrows one machine.

  spark-submit delta_lake/consultas_lakehouse.py [--prefixo P] [--saida texto|json]

Natively `npm run lake -- spark` runs it (stack/spark-job.ts); in docker compose:
  docker compose exec spark /opt/spark/bin/spark-submit /opt/delta_lake/consultas_lakehouse.py

Configuration comes from spark-defaults.conf beside this file (Delta catalog, s3a → MinIO) and
from the environment: MINIO_HOST, MINIO_PORT, MINIO_ROOT_USER, MINIO_ROOT_PASSWORD (read by s3a
through that file) and LAKE_BUCKETS (raw,trusted,refined). The report goes to stdout; with
--saida json its last line is one JSON object with every result (decimals as text with two
places). Spark's own logs go to stderr.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

# The OLTP tables captured by Debezium (lib/cdc TABELAS_CAPTURADAS, same order).
TABELAS_OLTP = ["pessoas", "categorias", "produtos", "pedidos", "itens_pedidos", "auditoria_pedidos"]
TABELAS_TRUSTED = [*TABELAS_OLTP, "quarentena"]
TABELAS_REFINED = ["itens_por_pessoa", "vendas_diarias"]
AMBIENTE = ["MINIO_HOST", "MINIO_PORT", "MINIO_ROOT_USER", "MINIO_ROOT_PASSWORD", "LAKE_BUCKETS"]


class ErroDeUso(Exception):
    """A problem the student can fix (missing variable, missing layer), shown without a traceback."""


# ---------------------------------------------------------------------------------------------
# Where the tables are


def buckets() -> dict[str, str]:
    faltam = [v for v in AMBIENTE if not os.environ.get(v)]
    if faltam:
        raise ErroDeUso(
            f"variáveis de ambiente ausentes: {', '.join(faltam)} "
            "(o docker compose as passa ao serviço spark a partir do .env; nativamente, use npm run lake -- spark)"
        )
    nomes = [b.strip() for b in os.environ["LAKE_BUCKETS"].split(",") if b.strip()]
    if len(nomes) < 3:
        raise ErroDeUso(f"LAKE_BUCKETS={os.environ['LAKE_BUCKETS']}: esperado raw,trusted,refined")
    return {"raw": nomes[0], "trusted": nomes[1], "refined": nomes[2]}


def normalizar_prefixo(prefixo: str) -> str:
    p = prefixo.strip("/")
    if p and not re.fullmatch(r"[A-Za-z0-9._\-/]+", p):
        raise ErroDeUso(f"prefixo inválido: '{p}' (use letras, dígitos, '.', '_', '-' e '/')")
    return p


def caminho(bucket: str, prefixo: str, tabela: str) -> str:
    return f"s3a://{bucket}/{prefixo + '/' if prefixo else ''}{tabela}"


# ---------------------------------------------------------------------------------------------
# Spark


def sessao() -> Any:
    from pyspark.sql import SparkSession

    spark = SparkSession.builder.appName("liga-sudoers-consultas-lakehouse").getOrCreate()
    sc = spark.sparkContext
    sc.setLogLevel("WARN")
    # Small data by default: as many shuffle partitions as cores (Spark's 200 would mean 200 tiny
    # tasks per aggregation). A setting passed to spark-submit (--conf) wins.
    for chave in ("spark.sql.shuffle.partitions", "spark.databricks.delta.snapshotPartitions"):
        if not sc.getConf().contains(chave):
            spark.conf.set(chave, str(max(2, sc.defaultParallelism)))
    if not sc.getConf().contains("spark.hadoop.fs.s3a.endpoint"):
        raise ErroDeUso(
            "o Spark não leu delta_lake/spark-defaults.conf (sem endpoint do s3a): "
            "rode com SPARK_CONF_DIR=delta_lake, ou pelo npm run lake -- spark"
        )
    return spark


def existe(spark: Any, uri: str) -> bool:
    from delta.tables import DeltaTable

    return bool(DeltaTable.isDeltaTable(spark, uri))


def contar(spark: Any, uri: str) -> int | None:
    """Rows of a Delta table (None when there is no table there)."""
    if not existe(spark, uri):
        return None
    return int(spark.read.format("delta").load(uri).count())


# ---------------------------------------------------------------------------------------------
# The queries (Spark SQL over the refined tables; raw and trusted are only counted)

SQL_TOTAIS = """
SELECT count(DISTINCT id_pedido)          AS pedidos,
       count(*)                           AS itens,
       coalesce(sum(qtde), 0)             AS unidades,
       coalesce(sum(valor_total), 0)      AS receita
  FROM itens_por_pessoa
"""

SQL_POR_UF = """
SELECT uf,
       count(DISTINCT id_pedido)          AS pedidos,
       count(*)                           AS itens,
       coalesce(sum(qtde), 0)             AS unidades,
       coalesce(sum(valor_total), 0)      AS receita
  FROM itens_por_pessoa
 GROUP BY uf
 ORDER BY uf NULLS LAST
"""

# Fraud is counted per order (an order with three items counts once): the two rules of the
# course, either of them, the generator's label, and the orders a rule caught that really were
# fraud (how good the rules are).
SQL_FRAUDE_POR_UF = """
SELECT uf,
       count(DISTINCT id_pedido)                                                       AS pedidos,
       count(DISTINCT CASE WHEN regra_local THEN id_pedido END)                        AS regra_local,
       count(DISTINCT CASE WHEN regra_dispositivo THEN id_pedido END)                  AS regra_dispositivo,
       count(DISTINCT CASE WHEN regra_local OR regra_dispositivo THEN id_pedido END)   AS alguma_regra,
       count(DISTINCT CASE WHEN fraude_rotulada THEN id_pedido END)                    AS fraude_rotulada,
       count(DISTINCT CASE WHEN (regra_local OR regra_dispositivo) AND fraude_rotulada
                           THEN id_pedido END)                                         AS regra_e_rotulo,
       count(DISTINCT CASE WHEN fraude_rotulada IS NULL THEN id_pedido END)            AS sem_rotulo
  FROM itens_por_pessoa
 GROUP BY uf
 ORDER BY uf NULLS LAST
"""

SQL_POR_CATEGORIA = """
SELECT categoria,
       count(DISTINCT id_pedido)          AS pedidos,
       count(*)                           AS itens,
       coalesce(sum(qtde), 0)             AS unidades,
       coalesce(sum(valor_total), 0)      AS receita
  FROM itens_por_pessoa
 GROUP BY categoria
 ORDER BY categoria NULLS LAST
"""

# vendas_diarias is already aggregated (day × UF): summing it again must give the same totals.
SQL_VENDAS_TOTAIS = """
SELECT count(DISTINCT dt_venda)                      AS dias,
       coalesce(sum(pedidos), 0)                     AS pedidos,
       coalesce(sum(itens), 0)                       AS itens,
       coalesce(sum(receita), 0)                     AS receita,
       coalesce(sum(pedidos_regra_local), 0)         AS pedidos_regra_local,
       coalesce(sum(pedidos_regra_dispositivo), 0)   AS pedidos_regra_dispositivo,
       coalesce(sum(pedidos_alguma_regra), 0)        AS pedidos_alguma_regra,
       coalesce(sum(pedidos_fraude_rotulada), 0)     AS pedidos_fraude_rotulada
  FROM vendas_diarias
"""

SQL_VENDAS_POR_DIA = """
SELECT CAST(dt_venda AS STRING)            AS dt_venda,
       sum(pedidos)                        AS pedidos,
       sum(itens)                          AS itens,
       sum(receita)                        AS receita,
       sum(pedidos_alguma_regra)           AS pedidos_alguma_regra
  FROM vendas_diarias
 GROUP BY dt_venda
 ORDER BY dt_venda
"""

CENTAVO = Decimal("0.01")


def dinheiro(v: Any) -> str:
    """A decimal as text with exactly two places (half away from zero, like the TypeScript side)."""
    return format(Decimal(v if v is not None else 0).quantize(CENTAVO, rounding=ROUND_HALF_UP), "f")


def linhas(spark: Any, sql: str, decimais: tuple[str, ...] = ()) -> list[dict[str, Any]]:
    out = []
    for r in spark.sql(sql).collect():
        d = r.asDict()
        out.append({k: (dinheiro(v) if k in decimais else (int(v) if isinstance(v, int) else v)) for k, v in d.items()})
    return out


def consultar(spark: Any, prefixo: str) -> dict[str, Any]:
    b = buckets()
    # Counting a Delta table is mostly waiting on MinIO (list the log, read it): a few tables at a
    # time overlap those waits (~1.5 s each one after the other).
    uris = [caminho(b["raw"], prefixo, f"cdc/{t}") for t in TABELAS_OLTP] + [
        caminho(b["trusted"], prefixo, t) for t in TABELAS_TRUSTED
    ]
    with ThreadPoolExecutor(max_workers=4) as pool:
        contagens = list(pool.map(lambda uri: contar(spark, uri), uris))
    raw = dict(zip(TABELAS_OLTP, contagens[: len(TABELAS_OLTP)], strict=True))
    trusted = dict(zip(TABELAS_TRUSTED, contagens[len(TABELAS_OLTP) :], strict=True))
    for t in TABELAS_REFINED:
        uri = caminho(b["refined"], prefixo, t)
        if not existe(spark, uri):
            raise ErroDeUso(
                f"a tabela refined {t} não existe em {uri}: construa o lakehouse antes (npm run lake -- build)"
            )
        spark.read.format("delta").load(uri).createOrReplaceTempView(t)
    refined = {t: int(spark.table(t).count()) for t in TABELAS_REFINED}
    totais = linhas(spark, SQL_TOTAIS, ("receita",))[0]
    vendas = linhas(spark, SQL_VENDAS_TOTAIS, ("receita",))[0]
    return {
        "raw": {"eventos_cdc": raw},
        "trusted": {"linhas": trusted},
        "refined": {"linhas": refined},
        "totais": totais,
        "por_uf": linhas(spark, SQL_POR_UF, ("receita",)),
        "fraude_por_uf": linhas(spark, SQL_FRAUDE_POR_UF),
        "receita_por_categoria": linhas(spark, SQL_POR_CATEGORIA, ("receita",)),
        "vendas_diarias": vendas,
        "vendas_por_dia": linhas(spark, SQL_VENDAS_POR_DIA, ("receita",)),
    }


# ---------------------------------------------------------------------------------------------
# Report (pt-BR)


def n(v: Any) -> str:
    return "—" if v is None else f"{int(v):,}".replace(",", ".")


def reais(texto: str) -> str:
    inteiro, _, cent = f"{Decimal(texto):,.2f}".partition(".")
    return f"R$ {inteiro.replace(',', '.')},{cent}"


def tabela_texto(cabecalho: list[str], linhas_: list[list[str]]) -> list[str]:
    larguras = [
        max(len(c), *(len(linha[i]) for linha in linhas_)) if linhas_ else len(c) for i, c in enumerate(cabecalho)
    ]

    def fmt(cols: list[str]) -> str:
        return "  " + "  ".join(c.ljust(larguras[0]) if i == 0 else c.rjust(larguras[i]) for i, c in enumerate(cols))

    return [fmt(cabecalho)] + [fmt(linha) for linha in linhas_]


def relatorio(r: dict[str, Any], prefixo: str, versao: str, sessao_s: float, consultas_s: float) -> str:
    out: list[str] = []
    onde = f"prefixo {prefixo}/" if prefixo else "raiz dos buckets"
    out.append(f"Consultas do lakehouse com Spark {versao} ({onde})")
    out.append("")
    out.append("Camada raw — eventos CDC por tabela:")
    out += tabela_texto(["tabela", "eventos"], [[t, n(v)] for t, v in r["raw"]["eventos_cdc"].items()])
    out.append("Camada trusted — linhas por tabela:")
    out += tabela_texto(["tabela", "linhas"], [[t, n(v)] for t, v in r["trusted"]["linhas"].items()])
    out.append("Camada refined — linhas por tabela:")
    out += tabela_texto(["tabela", "linhas"], [[t, n(v)] for t, v in r["refined"]["linhas"].items()])
    t = r["totais"]
    out.append("")
    out.append(
        f"Total: {n(t['pedidos'])} pedidos, {n(t['itens'])} itens ({n(t['unidades'])} unidades), receita {reais(t['receita'])}"
    )
    out.append("")
    out.append("Pedidos, itens e receita por UF:")
    out += tabela_texto(
        ["UF", "pedidos", "itens", "unidades", "receita"],
        [
            [u["uf"] or "(sem UF)", n(u["pedidos"]), n(u["itens"]), n(u["unidades"]), reais(u["receita"])]
            for u in r["por_uf"]
        ],
    )
    out.append("")
    out.append("Fraude por UF (pedidos distintos):")
    out += tabela_texto(
        [
            "UF",
            "pedidos",
            "regra local",
            "regra dispositivo",
            "alguma regra",
            "rotulada",
            "regra e rótulo",
            "sem rótulo",
        ],
        [
            [
                f["uf"] or "(sem UF)",
                n(f["pedidos"]),
                n(f["regra_local"]),
                n(f["regra_dispositivo"]),
                n(f["alguma_regra"]),
                n(f["fraude_rotulada"]),
                n(f["regra_e_rotulo"]),
                n(f["sem_rotulo"]),
            ]
            for f in r["fraude_por_uf"]
        ],
    )
    out.append("")
    out.append("Receita por categoria (maior primeiro):")
    cats = sorted(r["receita_por_categoria"], key=lambda c: Decimal(c["receita"]), reverse=True)
    out += tabela_texto(
        ["categoria", "pedidos", "itens", "unidades", "receita"],
        [
            [c["categoria"] or "(sem categoria)", n(c["pedidos"]), n(c["itens"]), n(c["unidades"]), reais(c["receita"])]
            for c in cats
        ],
    )
    v = r["vendas_diarias"]
    out.append("")
    out.append(
        f"vendas_diarias: {n(v['dias'])} dias, {n(v['pedidos'])} pedidos, {n(v['itens'])} itens, receita {reais(v['receita'])}; "
        f"pedidos com regra local {n(v['pedidos_regra_local'])}, dispositivo {n(v['pedidos_regra_dispositivo'])}, "
        f"alguma {n(v['pedidos_alguma_regra'])}, rotulados {n(v['pedidos_fraude_rotulada'])}"
    )
    ultimos = r["vendas_por_dia"][-7:]
    if ultimos:
        out.append(f"Últimos {len(ultimos)} dias:")
        out += tabela_texto(
            ["dia", "pedidos", "itens", "receita", "alguma regra"],
            [
                [d["dt_venda"], n(d["pedidos"]), n(d["itens"]), reais(d["receita"]), n(d["pedidos_alguma_regra"])]
                for d in ultimos
            ],
        )
    out.append("")

    def virgula(s: float) -> str:
        return f"{s:.1f}".replace(".", ",")

    out.append(
        f"Tempo: {virgula(sessao_s + consultas_s)} s (início do Spark {virgula(sessao_s)} s, leituras e consultas {virgula(consultas_s)} s)."
    )
    return "\n".join(out)


# ---------------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    p = argparse.ArgumentParser(prog="consultas_lakehouse.py", description=__doc__.split("\n\n")[0])
    p.add_argument("--prefixo", default="", help="prefixo dentro de cada bucket (padrão: a raiz, as suas camadas)")
    p.add_argument(
        "--saida", choices=["texto", "json"], default="texto", help="json: o relatório e, na última linha, o JSON"
    )
    args = p.parse_args(argv)
    inicio = time.monotonic()
    spark = None
    try:
        prefixo = normalizar_prefixo(args.prefixo)
        buckets()  # fail on a missing variable before starting the JVM
        spark = sessao()
        pronto = time.monotonic()
        resultado = consultar(spark, prefixo)
        fim = time.monotonic()
        print(relatorio(resultado, prefixo, spark.version, pronto - inicio, fim - pronto), flush=True)
        if args.saida == "json":
            print(json.dumps(resultado, ensure_ascii=False), flush=True)
        return 0
    except ErroDeUso as e:
        print(f"consultas_lakehouse: {e}", file=sys.stderr)
        return 2
    finally:
        if spark is not None:
            spark.stop()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
