// DESCRIBE HISTORY: one entry per commit, newest first, from each commit's commitInfo (what
// operation, its parameters and metrics, the engine, the version it read).
import { emParalelo } from "../leitura";
import { lerCommit, listarLog } from "../log";
import { type CommitInfo, ErroLake } from "../protocolo";
import type { Contexto } from "./comum";

export interface EntradaHistorico {
  versao: number;
  timestamp: Date;
  operacao: string;
  parametros: Record<string, unknown>;
  metricas: Record<string, unknown>;
  motor?: string;
  versaoLida?: number;
}

/** Commits, newest first (DESCRIBE HISTORY). */
export async function historico(ctx: Contexto, limite?: number): Promise<EntradaHistorico[]> {
  const listagem = await listarLog(ctx.arm);
  if (listagem.commits.size === 0) throw new ErroLake(`Não existe tabela Delta em ${ctx.arm.url}.`);
  const versoes = [...listagem.commits.keys()].sort((a, b) => b - a).slice(0, limite ?? Infinity);
  const acoes = await emParalelo(versoes, 8, (v) => lerCommit(ctx.arm, v));
  return versoes.map((v, k) => {
    const info = acoes[k]?.find((a): a is { commitInfo: CommitInfo } => "commitInfo" in a)?.commitInfo;
    return {
      versao: v,
      timestamp: new Date(listagem.tempos.get(v)!),
      operacao: info?.operation ?? "DESCONHECIDA",
      parametros: info?.operationParameters ?? {},
      metricas: info?.operationMetrics ?? {},
      ...(info?.engineInfo ? { motor: info.engineInfo } : {}),
      ...(info?.readVersion !== undefined ? { versaoLida: info.readVersion } : {}),
    };
  });
}
