// VACUUM: deletes data files the table no longer references (removed by a commit, or uploaded
// by a writer that never committed) once they are older than the retention period. Files still
// inside it stay, since time travel and readers in flight may need them. Nothing in _delta_log
// (or any _ or . folder) is ever touched.
import { duracaoMs } from "../checkpoint";
import { ErroLake } from "../protocolo";
import { type Contexto, paraEscrita } from "./comum";

export interface OpcoesVacuum {
  retencaoHoras?: number;
  /** Only list what would be deleted. */
  simulacao?: boolean;
  /** false allows a retention shorter than the table's. */
  verificarRetencao?: boolean;
  /** "Now", so a test can pretend time has passed. */
  agora?: Date;
}

export interface ResultadoVacuum {
  simulacao: boolean;
  /** Data files deleted (or that would be, in a dry run), relative to the table root. */
  arquivos: string[];
  bytes: number;
}

const RETENCAO_PADRAO_MS = 7 * 86_400_000;

/**
 * Deletes data files no longer referenced by the table and older than the retention period
 * (default delta.deletedFileRetentionDuration or 7 days). Retention under 7 days needs
 * verificarRetencao: false. `agora` lets a test pretend time has passed.
 */
export async function vacuum(ctx: Contexto, opcoes: OpcoesVacuum = {}): Promise<ResultadoVacuum> {
  const inst = await paraEscrita(ctx);
  const padrao = duracaoMs(inst.metadata.configuration["delta.deletedFileRetentionDuration"], RETENCAO_PADRAO_MS);
  const retencao = opcoes.retencaoHoras === undefined ? padrao : opcoes.retencaoHoras * 3_600_000;
  if (!(retencao >= 0)) throw new ErroLake(`retencaoHoras inválido: ${String(opcoes.retencaoHoras)}. Esperado um número de horas ≥ 0.`);
  if (retencao < padrao && opcoes.verificarRetencao !== false) {
    throw new ErroLake(
      `Retenção de ${retencao / 3_600_000} h é menor que a da tabela (${padrao / 3_600_000} h): leitores ainda podem precisar desses arquivos ` +
        "(viagem no tempo, consultas em andamento). Se tem certeza, passe verificarRetencao: false.",
    );
  }
  const limite = (opcoes.agora ?? new Date()).getTime() - retencao;
  const vivos = new Set([...inst.arquivos.keys()]);
  for (const [k, r] of inst.tombstones) if ((r.deletionTimestamp ?? 0) >= limite) vivos.add(k);
  const objetos = await ctx.arm.listar("");
  const apagar = objetos.filter((o) => {
    if (o.chave.split("/").some((seg) => seg.startsWith("_") || seg.startsWith("."))) return false;
    return !vivos.has(o.chave) && o.modificado.getTime() < limite;
  });
  if (!opcoes.simulacao) await ctx.arm.remover(apagar.map((o) => o.chave));
  return { simulacao: !!opcoes.simulacao, arquivos: apagar.map((o) => o.chave), bytes: apagar.reduce((s, o) => s + o.tamanho, 0) };
}
