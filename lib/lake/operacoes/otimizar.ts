// OPTIMIZE (bin-packing compaction): within each partition, files smaller than the target size
// are read and written again as one. The commit marks its adds and removes dataChange: false,
// since no row changed, and never conflicts with appends made meanwhile.
import type { Condicao } from "../condicoes";
import { compilar } from "../condicoes";
import { arquivosCandidatos, emParalelo, juntarTabelas, lerArquivo } from "../leitura";
import { caminhoDecodificado } from "../log";
import { type Add, ErroLake } from "../protocolo";
import { esquemaArrow } from "../tipos";
import type { Instantaneo } from "../instantaneo";
import { type Contexto, type ResultadoEscrita, commitOuDescartar, descartar, gravar, nadaGravado, paraEscrita, removerDe } from "./comum";

export interface OpcoesOtimizacao {
  /** Only partitions matching these conditions (on partition columns only). */
  onde?: Condicao[];
  /** Files under this size (bytes, default 64 MiB) are compacted. */
  tamanhoAlvo?: number;
}

/** Small files grouped by partition values. */
function gruposPorParticao(inst: Instantaneo, opcoes: OpcoesOtimizacao): Add[][] {
  const alvo = opcoes.tamanhoAlvo ?? 64 * 1024 * 1024;
  const candidatos = arquivosCandidatos(inst, opcoes.onde).filter((a) => a.size < alvo);
  if (opcoes.onde) {
    for (const c of compilar(opcoes.onde, inst.esquema, inst.metadata.partitionColumns)) {
      if (!c.particao) throw new ErroLake(`otimizar() aceita só condições sobre colunas de partição; '${c.coluna}' não é uma.`);
    }
  }
  const grupos = new Map<string, Add[]>();
  for (const a of candidatos) {
    const k = JSON.stringify(inst.metadata.partitionColumns.map((p) => a.partitionValues[p] ?? null));
    grupos.set(k, [...(grupos.get(k) ?? []), a]);
  }
  return [...grupos.values()];
}

/** Compacts small files (under tamanhoAlvo bytes, default 64 MiB) within each partition. */
export async function otimizar(ctx: Contexto, opcoes: OpcoesOtimizacao = {}): Promise<ResultadoEscrita & { particoesCompactadas: number }> {
  const inst = await paraEscrita(ctx);
  const removidos: Add[] = [];
  const adicionados: Add[] = [];
  let particoes = 0;
  const todas = inst.esquema.fields.map((f) => f.name);
  const schema = esquemaArrow(inst.esquema);
  try {
    for (const arquivos of gruposPorParticao(inst, opcoes)) {
      if (arquivos.length < 2) continue;
      particoes++;
      const tabelas = await emParalelo(arquivos, 4, (a) => lerArquivo(ctx.arm, inst, a, todas));
      adicionados.push(...(await gravar(ctx, inst, juntarTabelas(tabelas, schema), false)).adds);
      removidos.push(...arquivos);
    }
  } catch (err) {
    await descartar(ctx, adicionados);
    throw err;
  }
  if (removidos.length === 0) return { ...nadaGravado(inst.versao), particoesCompactadas: 0 };
  const agora = Date.now();
  const r = await commitOuDescartar(
    ctx,
    {
      leitura: inst,
      acoes: [...removidos.map((a) => ({ remove: { ...removerDe(a, agora), dataChange: false } })), ...adicionados.map((add) => ({ add }))],
      operacao: "OPTIMIZE",
      parametros: { predicate: JSON.stringify(opcoes.onde ?? []), zOrderBy: [] },
      metricas: { numRemovedFiles: removidos.length, numAddedFiles: adicionados.length },
      acrescimoCego: false,
      // Compaction only rearranges rows: new appends elsewhere never conflict with it.
      leuArquivo: () => false,
      arquivosLidos: new Set(removidos.map((a) => caminhoDecodificado(a.path))),
    },
    adicionados,
  );
  const bytes = adicionados.reduce((s, a) => s + a.size, 0);
  return {
    versao: r.versao,
    tentativas: r.tentativas,
    arquivosAdicionados: adicionados.length,
    arquivosRemovidos: removidos.length,
    linhasEscritas: 0,
    bytesEscritos: bytes,
    particoesCompactadas: particoes,
  };
}
