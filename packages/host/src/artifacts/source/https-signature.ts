import { ErrorCode } from "@plugwire/contract";
import { decodeEnvelope, type SignatureStatus, verifySignatures } from "../artifact/verify.js";
import type { Digest } from "../digest.js";
import { deliveryError } from "../failure.js";
import { statusError, timedFetch } from "../oci/http.js";
import type { DeliveryContext } from "./deliver.js";

const MAX_ENVELOPE_BYTES = 64 * 1024;

/**
 * The signature status of an HTTPS download: the envelope at `<url>.sig` (404 → unsigned), verified
 * with the same rules as OCI signatures.
 */
export async function fetchArtifactSignature(
  download: URL,
  digest: Digest,
  ctx: DeliveryContext,
): Promise<SignatureStatus> {
  const url = `${download}.sig`;
  const what = `signature ${url}`;
  const r = await timedFetch(
    url,
    { redirect: "follow" },
    { signal: ctx.signal, timeoutMs: ctx.timeoutMs, what },
  );
  const envelopes = [];
  if (r.response.status !== 404) {
    if (!r.response.ok) {
      r.done();
      throw await statusError(r.response, what);
    }
    let bytes: Uint8Array;
    try {
      bytes = new Uint8Array(await r.response.arrayBuffer());
    } catch (err) {
      throw r.fail(err);
    }
    r.done();
    if (bytes.length > MAX_ENVELOPE_BYTES)
      throw deliveryError(ErrorCode.SignatureInvalid, `${what}: larger than ${MAX_ENVELOPE_BYTES} bytes`, {
        plugin: ctx.id,
      });
    envelopes.push(decodeEnvelope(bytes, ctx.id));
  } else {
    await r.response.body?.cancel();
    r.done();
  }
  return verifySignatures({
    digest,
    envelopes,
    keys: ctx.keys,
    policy: ctx.policy,
    plugin: ctx.id,
    logger: ctx.logger,
  });
}
