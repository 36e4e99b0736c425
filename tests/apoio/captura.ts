// The CDC capture a test file needs before writing to the OLTP: the publication, the replication
// user and the Debezium connector registered (idempotent), and a way to wait until the changes a
// test made have all been published to Kafka.
import { before } from "node:test";
import {
  TABELAS_CAPTURADAS,
  esperarPublicacao,
  posicoesFinais,
  prepararCaptura,
  registrarConector,
  topicoDaTabela,
} from "../../lib/cdc/index";

/** Registers a before() hook of the calling file or suite that makes the capture ready. */
export function capturaPronta(): void {
  before(async () => {
    await prepararCaptura();
    await registrarConector({ timeoutMs: 120_000 });
  });
}

/**
 * Marks where every captured topic ends now; the function returned waits until at least
 * `esperado[tabela]` more messages were published to each table's topic since the mark.
 */
export async function marcarTopicos(): Promise<(esperado: Record<string, number>) => Promise<void>> {
  const inicio = await posicoesFinais(TABELAS_CAPTURADAS.map(topicoDaTabela));
  return (esperado) => esperarPublicacao(inicio, esperado);
}
