import { ErrorCode } from "@plugwire/contract";
import { type Digest, isDigest } from "../digest.js";
import { deliveryError } from "../failure.js";

/**
 * A parsed OCI reference. `tag` and `digest` may both be present (`name:tag@sha256:…`); then the digest
 * wins for every fetch and the tag is informative, exactly as docker and distribution treat it.
 */
export interface OciReference {
  /** Registry host[:port], normalised (`docker.io` for Docker Hub). */
  registry: string;
  /** Repository path inside the registry (`library/alpine`, `team/plugin`). */
  repository: string;
  tag?: string;
  digest?: Digest;
  /** What to ask the registry for: the digest if present, else the tag (default `latest`). */
  readonly target: string;
  /** The canonical text form: `registry/repository[:tag][@digest]`. */
  toString(): string;
}

// The docker reference grammar (github.com/distribution/reference, regexp.go), anchored.
const ALNUM = "[a-z0-9]+";
const SEPARATOR = "(?:[._]|__|[-]+)";
const PATH_COMPONENT = `${ALNUM}(?:${SEPARATOR}${ALNUM})*`;
const DOMAIN_COMPONENT = "(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])";
const HOST = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[a-fA-F0-9:]+\\])`;
const DOMAIN = new RegExp(`^${HOST}(?::[0-9]+)?$`);
const REPOSITORY = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`);
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST_SHAPE = /^[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}$/;
const NAME_MAX = 255;

const DOCKER_HUB = "docker.io";

function invalid(input: string, why: string) {
  return deliveryError(ErrorCode.ConfigInvalid, `invalid OCI reference ${JSON.stringify(input)}: ${why}`, {
    details: { reference: input },
  });
}

/**
 * Parses `registry/name:tag`, `registry/name@sha256:…` or `registry/name:tag@sha256:…` with the docker
 * reference grammar and Docker's domain rule (the first path component is a registry if it contains
 * `.` or `:`, is `localhost`, or has upper case; otherwise the reference is on Docker Hub, and one-word
 * names get `library/`). Throws `CONFIG_INVALID` saying which part is wrong. Only sha256 digests are
 * accepted, because only sha256 is verified.
 */
export function parseReference(input: string): OciReference {
  if (typeof input !== "string" || input.length === 0) throw invalid(String(input), "empty");
  let rest = input;
  let digest: Digest | undefined;
  const at = rest.indexOf("@");
  if (at !== -1) {
    const d = rest.slice(at + 1);
    if (!DIGEST_SHAPE.test(d)) throw invalid(input, `malformed digest ${JSON.stringify(d)}`);
    if (!isDigest(d))
      throw invalid(input, `only sha256 digests (64 lowercase hex) are supported, got ${JSON.stringify(d)}`);
    digest = d;
    rest = rest.slice(0, at);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(":");
  if (colon > rest.lastIndexOf("/")) {
    tag = rest.slice(colon + 1);
    if (!TAG.test(tag)) throw invalid(input, `malformed tag ${JSON.stringify(tag)}`);
    rest = rest.slice(0, colon);
  }
  if (rest.length === 0) throw invalid(input, "missing repository name");
  if (rest.length > NAME_MAX) throw invalid(input, `name longer than ${NAME_MAX} characters`);
  const slash = rest.indexOf("/");
  let registry = DOCKER_HUB;
  let repository = rest;
  if (slash !== -1) {
    const first = rest.slice(0, slash);
    if (/[.:]/.test(first) || first === "localhost" || first !== first.toLowerCase()) {
      registry = first === "index.docker.io" ? DOCKER_HUB : first;
      repository = rest.slice(slash + 1);
    }
  }
  if (!DOMAIN.test(registry)) throw invalid(input, `malformed registry ${JSON.stringify(registry)}`);
  if (repository !== repository.toLowerCase()) throw invalid(input, "repository name must be lowercase");
  if (!REPOSITORY.test(repository))
    throw invalid(input, `malformed repository ${JSON.stringify(repository)}`);
  if (registry === DOCKER_HUB && !repository.includes("/")) repository = `library/${repository}`;
  return makeReference(registry, repository, tag, digest);
}

/** A reference to `target` (a tag or a digest) in the same repository as `ref`. */
export function withTarget(ref: OciReference, target: string): OciReference {
  return isDigest(target)
    ? makeReference(ref.registry, ref.repository, undefined, target)
    : makeReference(ref.registry, ref.repository, target, undefined);
}

function makeReference(
  registry: string,
  repository: string,
  tag: string | undefined,
  digest: Digest | undefined,
): OciReference {
  const ref: OciReference = {
    registry,
    repository,
    get target() {
      return digest ?? tag ?? "latest";
    },
    toString: () => `${registry}/${repository}${tag ? `:${tag}` : ""}${digest ? `@${digest}` : ""}`,
  };
  if (tag !== undefined) ref.tag = tag;
  if (digest !== undefined) ref.digest = digest;
  return ref;
}

/** True if `registry` (host[:port]) is a loopback address, where plain `http://` is acceptable. */
export function isLoopbackRegistry(registry: string): boolean {
  const host = registry.startsWith("[") ? registry.slice(1, registry.indexOf("]")) : registry.split(":")[0];
  return host === "localhost" || host === "::1" || /^127(?:\.\d{1,3}){3}$/.test(host ?? "");
}
