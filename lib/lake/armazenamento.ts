// Object storage for a table: S3 (MinIO) through the minio client. Keys are relative to the
// table's root. The one primitive the log depends on is gravarSeAusente: a PUT with
// `If-None-Match: *`, which the server refuses (412) when the object already exists. That is
// what makes "version N is written once" true with many writers and no lock service. The same
// interface in memory, for tests with no service, is memoria.ts.
import { randomUUID } from "node:crypto";
import http from "node:http";
import * as Minio from "minio";
import { config } from "../config";
import { ErroLake } from "./erros";

export interface InfoObjeto {
  /** Relative to the table root. */
  chave: string;
  tamanho: number;
  modificado: Date;
}

export interface Armazenamento {
  /** s3://bucket/prefix, for messages. */
  readonly url: string;
  ler(chave: string): Promise<Uint8Array>;
  lerSeExistir(chave: string): Promise<Uint8Array | undefined>;
  /** `sha256` (hex, of bytes) when already known: saves hashing the payload again. */
  gravar(chave: string, bytes: Uint8Array, sha256?: string): Promise<void>;
  /** Writes only if no object has that key; false when one already does. */
  gravarSeAusente(chave: string, bytes: Uint8Array): Promise<boolean>;
  /** Every object under a prefix (recursive), in key order. */
  listar(prefixo: string, aPartirDe?: string): Promise<InfoObjeto[]>;
  remover(chaves: string[]): Promise<void>;
}

/** Where a table lives: "s3://raw/vendas" or { bucket, caminho }. */
export type LocalTabela = string | { bucket: string; caminho: string };

export function interpretarLocal(local: LocalTabela): { bucket: string; caminho: string } {
  if (typeof local !== "string") return { bucket: local.bucket, caminho: local.caminho.replace(/^\/+|\/+$/g, "") };
  const m = /^(?:s3a?:\/\/)([^/]+)\/(.+?)\/*$/.exec(local);
  if (!m) {
    throw new ErroLake(`Local de tabela inválido: '${local}'. Esperado 's3://<bucket>/<caminho>', por exemplo 's3://raw/vendas'.`);
  }
  return { bucket: m[1]!, caminho: m[2]! };
}

let clientePadrao: Minio.Client | undefined;

/** A minio client for the kit's MinIO (config().minio). */
export function clienteMinio(): Minio.Client {
  if (!clientePadrao) {
    const m = config().minio;
    clientePadrao = new Minio.Client({
      endPoint: m.host,
      port: m.port,
      useSSL: false,
      accessKey: m.accessKey,
      secretKey: m.secretKey,
      // MinIO closes the connection after some error replies (such as a 412); fresh sockets
      // keep a reused one from failing with ECONNRESET.
      transportAgent: new http.Agent({ keepAlive: false }),
    });
  }
  return clientePadrao;
}

function codigo(err: unknown): string | undefined {
  return (err as { code?: string }).code;
}

async function juntar(stream: NodeJS.ReadableStream): Promise<Uint8Array> {
  const partes: Buffer[] = [];
  for await (const p of stream) partes.push(p as Buffer);
  const b = Buffer.concat(partes);
  return new Uint8Array(b.buffer, b.byteOffset, b.length);
}

/** Buckets already probed for conditional writes (per client). */
const sondados = new WeakMap<Minio.Client, Map<string, Promise<void>>>();

export class ArmazenamentoS3 implements Armazenamento {
  readonly url: string;
  private readonly raiz: string;

  constructor(
    readonly bucket: string,
    readonly caminho: string,
    private readonly cliente: Minio.Client = clienteMinio(),
  ) {
    this.raiz = caminho ? `${caminho}/` : "";
    this.url = `s3://${bucket}/${caminho}`;
  }

  private async tentar<T>(oQue: string, f: () => Promise<T>): Promise<T> {
    try {
      return await f();
    } catch (err) {
      const c = codigo(err);
      if (c === "ECONNREFUSED") {
        throw new ErroLake(`O MinIO não respondeu ao ${oQue} em ${this.url} (conexão recusada). Suba o stack: npm run stack -- up.`);
      }
      if (c === "NoSuchBucket") throw new ErroLake(`O bucket '${this.bucket}' não existe no MinIO (${oQue}).`);
      throw err;
    }
  }

  async ler(chave: string): Promise<Uint8Array> {
    const b = await this.lerSeExistir(chave);
    if (!b) throw new ErroLake(`Objeto não encontrado: ${this.url}/${chave}.`);
    return b;
  }

  async lerSeExistir(chave: string): Promise<Uint8Array | undefined> {
    return this.tentar("ler um objeto", async () => {
      try {
        return await juntar(await this.cliente.getObject(this.bucket, this.raiz + chave));
      } catch (err) {
        if (codigo(err) === "NoSuchKey" || codigo(err) === "NotFound") return undefined;
        throw err;
      }
    });
  }

  async gravar(chave: string, bytes: Uint8Array, sha256?: string): Promise<void> {
    const corpo = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
    // putObject copies the buffer and hashes it twice (MD5 and SHA-256) on this thread; with
    // the hash known (computed by an encoding worker) the signed PUT goes out directly. Only
    // for plain-HTTP clients, where the signature covers the payload hash.
    if (sha256 && (this.cliente as unknown as { enableSHA256?: boolean }).enableSHA256 === true) {
      await this.tentar("gravar um objeto", async () => {
        const res = await this.cliente.makeRequestStreamAsync(
          { method: "PUT", bucketName: this.bucket, objectName: this.raiz + chave, headers: { "Content-Length": corpo.length } },
          corpo,
          sha256,
          [200],
          "",
        );
        for await (const _ of res) void _;
      });
      return;
    }
    await this.tentar("gravar um objeto", () => this.cliente.putObject(this.bucket, this.raiz + chave, corpo, corpo.length));
  }

  async gravarSeAusente(chave: string, bytes: Uint8Array): Promise<boolean> {
    await this.exigirEscritaCondicional();
    return this.tentar("gravar um commit", async () => {
      try {
        await this.cliente.putObject(
          this.bucket,
          this.raiz + chave,
          Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length),
          bytes.length,
          {
            "If-None-Match": "*",
          },
        );
        return true;
      } catch (err) {
        // 412: the object exists. 409: a concurrent conditional write to the same key is in
        // flight; the caller re-reads the log and tries again either way.
        const c = codigo(err);
        if (c === "PreconditionFailed" || c === "ConditionalRequestConflict") return false;
        throw err;
      }
    });
  }

  /**
   * Proves once per bucket that the server refuses a second `If-None-Match: *` PUT. A server
   * that silently overwrites would let two writers both "win" a version and lose a commit.
   */
  exigirEscritaCondicional(): Promise<void> {
    let porBucket = sondados.get(this.cliente);
    if (!porBucket) {
      porBucket = new Map();
      sondados.set(this.cliente, porBucket);
    }
    let sonda = porBucket.get(this.bucket);
    if (!sonda) {
      sonda = this.sondar();
      porBucket.set(this.bucket, sonda);
      sonda.catch(() => porBucket!.delete(this.bucket));
    }
    return sonda;
  }

  private async sondar(): Promise<void> {
    const chave = `.liga-lake/sonda-${randomUUID()}`;
    const corpo = Buffer.from("sonda de escrita condicional\n");
    await this.tentar("testar escritas condicionais", async () => {
      await this.cliente.putObject(this.bucket, chave, corpo, corpo.length, { "If-None-Match": "*" });
      let sobrescreveu = false;
      try {
        await this.cliente.putObject(this.bucket, chave, corpo, corpo.length, { "If-None-Match": "*" });
        sobrescreveu = true;
      } catch (err) {
        if (codigo(err) !== "PreconditionFailed") throw err;
      } finally {
        await this.cliente.removeObject(this.bucket, chave).catch(() => undefined);
      }
      if (sobrescreveu) {
        throw new ErroLake(
          `O servidor S3 de ${this.url} não respeita escritas condicionais (If-None-Match: *): ` +
            "dois escritores poderiam gravar a mesma versão e um commit se perderia. Recuso-me a escrever; " +
            "use um MinIO recente (2024-11 ou mais novo) ou outro S3 com PUT condicional.",
        );
      }
    });
  }

  async listar(prefixo: string, aPartirDe?: string): Promise<InfoObjeto[]> {
    return this.tentar("listar objetos", async () => {
      const itens: InfoObjeto[] = [];
      const stream = this.cliente.listObjectsV2(this.bucket, this.raiz + prefixo, true, aPartirDe ? this.raiz + aPartirDe : "");
      for await (const o of stream as AsyncIterable<{ name?: string; size: number; lastModified: Date }>) {
        if (!o.name) continue;
        itens.push({ chave: o.name.slice(this.raiz.length), tamanho: o.size, modificado: o.lastModified });
      }
      return itens;
    });
  }

  async remover(chaves: string[]): Promise<void> {
    for (let i = 0; i < chaves.length; i += 1000) {
      const lote = chaves.slice(i, i + 1000).map((c) => this.raiz + c);
      await this.tentar("remover objetos", () => this.cliente.removeObjects(this.bucket, lote));
    }
  }
}

/** Removes every object under `prefixo`/ of `bucket` (a table, a test's folder); returns how many. */
export async function removerPrefixo(bucket: string, prefixo: string): Promise<number> {
  if (!prefixo) throw new Error("removerPrefixo() recusa apagar um bucket inteiro: informe um prefixo.");
  const arm = new ArmazenamentoS3(bucket, prefixo);
  const chaves = (await arm.listar("")).map((o) => o.chave);
  await arm.remover(chaves);
  return chaves.length;
}
