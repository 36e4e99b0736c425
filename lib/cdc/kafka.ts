// The kafkajs client on the kit's brokers, silent (the notebook runner treats stderr as a
// failure), and connecting turns an unreachable broker into an ErroServicoFora naming it.
import { Kafka, logLevel, type Admin } from "kafkajs";
import { config } from "../config";
import { ErroServicoFora } from "../erros";

/**
 * A kafkajs client on the kit's brokers, silent: kafkajs logs to stderr by default, which the
 * notebook runner treats as a failure.
 */
export function clienteKafka(clientId: string): Kafka {
  return new Kafka({
    clientId,
    brokers: config().kafka.brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 5000,
    retry: { retries: 5, initialRetryTime: 300 },
  });
}

/**
 * Connects a kafkajs admin, consumer or producer. connect() only talks to the brokers (no topic,
 * no group yet), so its failure, after kafkajs' retries, means they could not be reached.
 */
export async function conectar<C extends { connect(): Promise<void> }>(cliente: C): Promise<C> {
  try {
    await cliente.connect();
  } catch (err) {
    const brokers = config().kafka.brokers;
    throw new ErroServicoFora(
      "kafka",
      brokers.join(","),
      `Não consegui conectar ao Kafka em ${brokers.join(", ")}: ${(err as Error).message}. ` +
        "A stack está no ar? Rode `npm run stack -- status` (ou `docker compose ps`).",
      { cause: err },
    );
  }
  return cliente;
}

/** Runs `fn` with a connected admin client, always disconnecting it afterwards. */
export async function comAdmin<R>(clientId: string, fn: (admin: Admin) => Promise<R>): Promise<R> {
  const admin = await conectar(clienteKafka(clientId).admin());
  try {
    return await fn(admin);
  } finally {
    await admin.disconnect();
  }
}
