// Write benchmark for `npm run bench -- lake`: N fact-like rows partitioned by day, written to
// MinIO by lib/lake and, for reference, by delta-rs (write_deltalake) from the very same rows
// (handed over as a Parquet file, read before the clock starts).
import { spawnSync } from "node:child_process";
import { randomUUID } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as arrow from "apache-arrow";
import { config } from "../lib/config";
import { removerPrefixo } from "../lib/lake/armazenamento";
import { construir } from "../lib/lake/colunas";
import { gravarParquet } from "../lib/lake/parquet";
import type { StructType } from "../lib/lake/protocolo";
import { tabelaDelta } from "../lib/lake/tabela";

export const ESQUEMA_FATOS: StructType = {
  type: "struct",
  fields: [
    ["id", "long", false],
    ["pedido_id", "long", false],
    ["cliente_id", "long", false],
    ["produto_id", "integer", false],
    ["quantidade", "integer", false],
    ["valor", "decimal(12,2)", false],
    ["desconto", "double", true],
    ["canal", "string", false],
    ["uf", "string", false],
    ["criado_em", "timestamp", false],
    ["dia", "date", false],
  ].map(([name, type, nullable]) => ({ name: name as string, type: type as never, nullable: nullable as boolean, metadata: {} })),
};

const UFS = "AC AL AP AM BA CE DF ES GO MA MT MS MG PA PB PR PE PI RJ RN RS RO RR SC SP SE TO".split(" ");
const CANAIS = ["site", "app", "loja", "telefone", "parceiro"];

/** The last day of the generated facts (the one the read benchmark asks for). */
export const DIA_FINAL = "2024-06-30";

/** Deterministic fact rows over `dias` days ending DIA_FINAL, as an Arrow table. */
export function fatos(n: number, dias = 30): arrow.Table {
  let s = 42;
  const r = () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648;
  };
  const inicioDia = Date.parse(`${DIA_FINAL}T00:00:00Z`) / 86_400_000 - (dias - 1);
  const dia = new Int32Array(n);
  for (let i = 0; i < n; i++) dia[i] = inicioDia + Math.floor((i * dias) / n);
  const c = (nome: string, f: (i: number) => unknown) => construir(ESQUEMA_FATOS.fields.find((x) => x.name === nome)!.type, n, f as never);
  return new arrow.Table({
    id: c("id", (i) => BigInt(i)),
    pedido_id: c("pedido_id", (i) => BigInt(Math.floor(i / 3))),
    cliente_id: c("cliente_id", () => BigInt(Math.floor(r() * 200_000))),
    produto_id: c("produto_id", () => Math.floor(r() * 5_000)),
    quantidade: c("quantidade", () => 1 + Math.floor(r() * 5)),
    valor: c("valor", () => BigInt(Math.floor(r() * 100_000))),
    desconto: c("desconto", () => (r() < 0.2 ? null : Math.round(r() * 3000) / 100)),
    canal: c("canal", () => CANAIS[Math.floor(r() * CANAIS.length)]),
    uf: c("uf", () => UFS[Math.floor(r() * UFS.length)]),
    criado_em: c("criado_em", (i) => BigInt(dia[i]!) * 86_400_000_000n + BigInt(Math.floor(r() * 86_400_000_000))),
    dia: c("dia", (i) => dia[i]),
  });
}

export interface ResultadoBench {
  linhas: number;
  libLakeSegundos: number;
  deltaRsSegundos?: number;
  razao?: number;
  arquivos: number;
  bytes: number;
  /** A read of one day (partition filter) of lib/lake's table. */
  leitura: { linhas: number; segundos: number; arquivosLidos: number; arquivosTotais: number; bytesLidos: number; bytesTotais: number };
}

/**
 * Runs both writers into s3://raw/_bench/<uuid>/ (each `repeticoes` times, the first run also
 * warming up the JIT and connections; the best run counts) and removes it afterwards.
 */
export async function benchLake(opcoes: { linhas?: number; python?: string; repeticoes?: number } = {}): Promise<ResultadoBench> {
  const n = opcoes.linhas ?? 1_000_000;
  const prefixo = `_bench/${randomUUID()}`;
  const tabela = fatos(n);
  const dir = mkdtempSync(join(tmpdir(), "bench-lake-"));
  try {
    const repeticoes = Math.max(1, opcoes.repeticoes ?? 2);
    let libLakeSegundos = Infinity;
    let r = { arquivosAdicionados: 0, bytesEscritos: 0 };
    let ultima = "";
    for (let k = 0; k < repeticoes; k++) {
      const inicio = performance.now();
      ultima = `s3://raw/${prefixo}/lib-lake-${k}`;
      const t = tabelaDelta(ultima);
      r = await t.criar({ esquema: ESQUEMA_FATOS, particionarPor: ["dia"], dados: tabela });
      libLakeSegundos = Math.min(libLakeSegundos, (performance.now() - inicio) / 1000);
    }
    let deltaRsSegundos: number | undefined;
    if (opcoes.python) {
      const arquivo = join(dir, "fatos.parquet");
      writeFileSync(arquivo, gravarParquet(tabela, "uncompressed"));
      const codigo = `
import sys, time, pyarrow.parquet as pq
from deltalake import write_deltalake
opts = {"AWS_ENDPOINT_URL": sys.argv[3], "AWS_ACCESS_KEY_ID": sys.argv[4], "AWS_SECRET_ACCESS_KEY": sys.argv[5], "AWS_REGION": "us-east-1", "AWS_ALLOW_HTTP": "true", "aws_conditional_put": "etag"}
t = pq.read_table(sys.argv[1])
melhor = float("inf")
for k in range(int(sys.argv[6])):
    t0 = time.perf_counter()
    write_deltalake(sys.argv[2] + "-" + str(k), t, partition_by=["dia"], storage_options=opts)
    melhor = min(melhor, time.perf_counter() - t0)
print(melhor, flush=True)
import os; os._exit(0)
`;
      const { minio } = config();
      const p = spawnSync(
        opcoes.python,
        ["-c", codigo, arquivo, `s3://raw/${prefixo}/delta-rs`, minio.endpoint, minio.accessKey, minio.secretKey, String(repeticoes)],
        { encoding: "utf8" },
      );
      if (p.status !== 0) throw new Error(`delta-rs falhou no benchmark:\n${p.stderr}`);
      deltaRsSegundos = Number(p.stdout.trim().split("\n").at(-1));
    }
    const inicioLeitura = performance.now();
    const lido = await tabelaDelta(ultima).ler({ onde: [["dia", "=", DIA_FINAL]] });
    const leitura = {
      linhas: lido.tabela.numRows,
      segundos: (performance.now() - inicioLeitura) / 1000,
      arquivosLidos: lido.arquivosLidos,
      arquivosTotais: lido.arquivosTotais,
      bytesLidos: lido.bytesLidos,
      bytesTotais: lido.bytesTotais,
    };
    return {
      leitura,
      linhas: n,
      libLakeSegundos,
      deltaRsSegundos,
      razao: deltaRsSegundos ? libLakeSegundos / deltaRsSegundos : undefined,
      arquivos: r.arquivosAdicionados,
      bytes: r.bytesEscritos,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    await removerPrefixo("raw", prefixo);
  }
}
