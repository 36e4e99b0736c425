// npm run bench -- NAME [options]: measured figures, ending with one JSON line.
//   generator [--pedidos 1000000] [--pessoas 10000]: the historical generator against the
//   ceiling of plain COPY of the very same rows, pre-rendered, into an identical schema.
//   cdc [--taxa 500] [--segundos 30]: orders at a fixed rate through PostgreSQL → Debezium →
//   Kafka → detector → fraude.alertas; commit → alert latency per alerted order, and the
//   replay throughput of the detector's engine alone on the recorded events.
//   lake [--linhas 1000000]: fact-like rows partitioned by day written to MinIO by lib/lake and
//   by delta-rs from the same Arrow data, then a one-day read of lib/lake's table.
//   dbt [--pedidos 1000000] [--novos 10000]: tops the OLTP up to --pedidos orders, then a full
//   `dbt build --full-refresh` and, after --novos more orders, an incremental `dbt build`.
//   lakehouse [--pedidos 20000]: raw → trusted → refined built incrementally over a streaming
//   burst, then a build with nothing new (see bench-lakehouse.ts).
import { lakeEnv } from "../stack/lake-env";
import { benchCdc } from "./bench-cdc";
import { benchDbt } from "./bench-dbt";
import { benchGerador } from "./bench-gerador";
import { benchLake } from "./bench-lake";
import { benchLakehouse } from "./bench-lakehouse";
import { ErroDeUso, executar, fmt, lerArgumentos, numero } from "./comum";

const USO = `Uso: npm run bench -- generator [--pedidos 1000000] [--pessoas 10000] [--lote 5000]
       npm run bench -- cdc [--taxa 500] [--segundos 30]
       npm run bench -- dbt [--pedidos 1000000] [--novos 10000]
       npm run bench -- lake [--linhas 1000000]
       npm run bench -- lakehouse [--pedidos 20000]`;

executar(async () => {
  const [nome, ...resto] = process.argv.slice(2);
  process.argv.splice(2, process.argv.length, ...resto);
  if (nome === "generator") {
    const a = lerArgumentos({ pedidos: { type: "string" }, pessoas: { type: "string" }, lote: { type: "string" } }, USO);
    const figuras = await benchGerador(
      numero("pedidos", a.pedidos, 1_000_000),
      numero("pessoas", a.pessoas, 10_000),
      a.lote === undefined ? undefined : numero("lote", a.lote, 0),
    );
    console.log(JSON.stringify(figuras));
  } else if (nome === "cdc") {
    const a = lerArgumentos({ taxa: { type: "string" }, segundos: { type: "string" } }, USO);
    console.log(JSON.stringify(await benchCdc(numero("taxa", a.taxa, 500), numero("segundos", a.segundos, 30))));
  } else if (nome === "dbt") {
    const a = lerArgumentos({ pedidos: { type: "string" }, novos: { type: "string" } }, USO);
    console.log(JSON.stringify(await benchDbt(numero("pedidos", a.pedidos, 1_000_000), numero("novos", a.novos, 10_000))));
  } else if (nome === "lake") {
    const a = lerArgumentos({ linhas: { type: "string" } }, USO);
    const linhas = numero("linhas", a.linhas, 1_000_000);
    console.log(`Gravando ${fmt(linhas)} linhas particionadas por dia no MinIO (melhor de 2 execuções de cada)…`);
    const r = await benchLake({ linhas, python: (await lakeEnv()).python });
    const mb = (b: number) => fmt(b / 1024 / 1024, 1);
    console.log(
      `  lib/lake: ${fmt(r.libLakeSegundos, 2)} s (${fmt(r.arquivos)} arquivos, ${mb(r.bytes)} MiB); delta-rs: ${fmt(r.deltaRsSegundos ?? NaN, 2)} s; razão ${fmt(r.razao ?? NaN, 2)}×`,
    );
    const l = r.leitura;
    console.log(
      `  leitura de um dia: ${fmt(l.linhas)} linhas em ${fmt(l.segundos, 2)} s, ${fmt(l.arquivosLidos)} de ${fmt(l.arquivosTotais)} arquivos, ` +
        `${mb(l.bytesLidos)} de ${mb(l.bytesTotais)} MiB`,
    );
    const r2 = (x: number | undefined) => Math.round((x ?? NaN) * 100) / 100;
    console.log(
      JSON.stringify({
        bench: "lake",
        rows: r.linhas,
        kit_write_s: r2(r.libLakeSegundos),
        deltars_write_s: r2(r.deltaRsSegundos),
        ratio: r2(r.razao),
        files_read: l.arquivosLidos,
        files_total: l.arquivosTotais,
        bytes_read: l.bytesLidos,
        bytes_total: l.bytesTotais,
      }),
    );
  } else if (nome === "lakehouse") {
    const a = lerArgumentos({ pedidos: { type: "string" } }, USO);
    console.log(JSON.stringify(await benchLakehouse(numero("pedidos", a.pedidos, 20_000))));
  } else {
    throw new ErroDeUso(nome ? `Benchmark desconhecido: "${nome}".\n\n${USO}` : USO);
  }
});
