import { ErrorCode } from "@plugwire/contract";
import { deliveryError } from "../failure.js";
import { type OciReference, parseReference } from "../oci/reference.js";

/** Where a plugin comes from. */
export type PluginSource =
  | { kind: "local"; path: string }
  | { kind: "https"; url: URL }
  | { kind: "oci"; ref: OciReference };

/**
 * Classifies a `source` string (issue 6): `https://…` / `http://…` is a download, `oci://ref` or a
 * reference whose first segment is a registry (has a dot or a port, or is `localhost`) is OCI, and
 * anything else — `/abs`, `./rel`, `name` — is a local path. The same rule as the runner's
 * `isOciSource`, so protocol lookup and download always agree on what is OCI.
 */
export function classifySource(source: string): PluginSource {
  if (typeof source !== "string" || source.trim() === "")
    throw deliveryError(ErrorCode.ConfigInvalid, "plugin source is empty");
  if (/^https?:\/\//i.test(source)) {
    try {
      return { kind: "https", url: new URL(source) };
    } catch (cause) {
      throw deliveryError(ErrorCode.ConfigInvalid, `source ${JSON.stringify(source)} is not a valid URL`, {
        cause,
      });
    }
  }
  if (source.startsWith("oci://")) return { kind: "oci", ref: parseReference(source.slice("oci://".length)) };
  if (/^(\.{1,2}\/|\/|~)/.test(source)) return { kind: "local", path: source };
  const first = source.split("/")[0] ?? "";
  if (source.includes("/") && (/\.[a-z]/i.test(first) || /:\d+$/.test(first) || first === "localhost"))
    return { kind: "oci", ref: parseReference(source) };
  return { kind: "local", path: source };
}
