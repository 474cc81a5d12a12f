// HPACK against RFC 7541's own examples (Appendix C), plus the error paths of §5 / §6 and the
// encoder's round trip through our decoder.
import { describe, expect, it } from "vitest";
import { HpackDecoder, HpackEncoder, HpackError, writeInteger } from "./hpack.js";
import { HUFFMAN_CODE_LENGTHS, HUFFMAN_CODES } from "./hpack-tables.js";

// Plain Uint8Arrays (not Buffers) so toEqual compares against the encoder's output.
const hex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ""), "hex"));
const bytes = (...parts: (number | string | Uint8Array)[]): Uint8Array =>
  new Uint8Array(
    Buffer.concat(
      parts.map((p) =>
        typeof p === "number" ? Buffer.from([p]) : typeof p === "string" ? Buffer.from(p, "latin1") : p,
      ),
    ),
  );

/** Test-only Huffman encoder (RFC 7541 §5.2): symbols → codes MSB first, padded with EOS's 1-bits. */
function huffman(symbols: readonly number[]): Uint8Array {
  let bits = "";
  for (const s of symbols) {
    bits += (HUFFMAN_CODES[s] as number).toString(2).padStart(HUFFMAN_CODE_LENGTHS[s] as number, "0");
  }
  bits = bits.padEnd(Math.ceil(bits.length / 8) * 8, "1");
  return Uint8Array.from(bits.match(/.{8}/g) ?? [], (b) => Number.parseInt(b, 2));
}

/** §5.1 integer as its own byte array. */
function integer(flags: number, prefixBits: number, value: number): Uint8Array {
  const out = new Uint8Array(8);
  return out.subarray(0, writeInteger(out, 0, flags, prefixBits, value));
}

/** §6.2.2 literal without indexing, new name "x", Huffman value. */
const huffmanField = (encoded: Uint8Array) =>
  bytes(0x00, 0x01, "x", integer(0x80, 7, encoded.length), encoded);

/** Reads the dynamic table back (newest first) via indexed fields 62…, and checks it has no more. */
function dynamicTable(decoder: HpackDecoder, entries: number): string[] {
  const indices: Uint8Array[] = [];
  for (let i = 0; i < entries; i++) indices.push(integer(0x80, 7, 62 + i));
  const table = decoder.decode(bytes(...indices));
  expect(() => decoder.decode(integer(0x80, 7, 62 + entries))).toThrow(/past the table/);
  return table;
}

const tableSize = (flat: string[]) => {
  let size = 0;
  for (const s of flat) size += s.length;
  return size + (flat.length / 2) * 32;
};

describe("RFC 7541 Appendix C", () => {
  it("C.1 integer representation examples", () => {
    expect(integer(0, 5, 10)).toEqual(hex("0a"));
    expect(integer(0, 5, 1337)).toEqual(hex("1f9a0a"));
    expect(integer(0, 8, 42)).toEqual(hex("2a"));
  });

  it("C.2.1 literal with indexing", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572"))).toEqual([
      "custom-key",
      "custom-header",
    ]);
    expect(dynamicTable(d, 1)).toEqual(["custom-key", "custom-header"]);
  });

  it("C.2.2 literal without indexing", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("040c 2f73 616d 706c 652f 7061 7468"))).toEqual([":path", "/sample/path"]);
    dynamicTable(d, 0);
  });

  it("C.2.3 literal never indexed", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("1008 7061 7373 776f 7264 0673 6563 7265 74"))).toEqual(["password", "secret"]);
    dynamicTable(d, 0);
  });

  it("C.2.4 indexed field", () => {
    const d = new HpackDecoder();
    expect(d.decode(hex("82"))).toEqual([":method", "GET"]);
    dynamicTable(d, 0);
  });

  /** What each block of a series must decode to, and the dynamic table (newest first) after it. */
  type Expected = { headers: string[]; table: string[]; size: number };
  const series = (tableMax: number, expected: Expected[], blocks: string[]) => () => {
    const d = new HpackDecoder(tableMax);
    expected.forEach((want, i) => {
      expect(d.decode(hex(blocks[i] as string))).toEqual(want.headers);
      const table = dynamicTable(d, want.table.length / 2);
      expect(table).toEqual(want.table);
      expect(tableSize(table)).toBe(want.size);
    });
  };

  // C.3 and C.4: the same three requests, raw and Huffman-coded.
  const req1 = [":method", "GET", ":scheme", "http", ":path", "/", ":authority", "www.example.com"];
  const req3 = [...req1.slice(0, 2), ":scheme", "https", ":path", "/index.html", ...req1.slice(6)];
  const t1 = [":authority", "www.example.com"];
  const t2 = ["cache-control", "no-cache", ...t1];
  const requests: Expected[] = [
    { headers: req1, table: t1, size: 57 },
    { headers: [...req1, "cache-control", "no-cache"], table: t2, size: 110 },
    {
      headers: [...req3, "custom-key", "custom-value"],
      table: ["custom-key", "custom-value", ...t2],
      size: 164,
    },
  ];

  it(
    "C.3 requests without Huffman (one decoder: dynamic table state)",
    series(4096, requests, [
      "8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d",
      "8286 84be 5808 6e6f 2d63 6163 6865",
      "8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65",
    ]),
  );

  it(
    "C.4 requests with Huffman",
    series(4096, requests, [
      "8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff",
      "8286 84be 5886 a8eb 1064 9cbf",
      "8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf",
    ]),
  );

  // C.5 and C.6: the same three responses with SETTINGS_HEADER_TABLE_SIZE 256, so entries get evicted.
  const date1 = "Mon, 21 Oct 2013 20:13:21 GMT";
  const date2 = "Mon, 21 Oct 2013 20:13:22 GMT";
  const loc = "https://www.example.com";
  const cookie = "foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1";
  const cache = ["cache-control", "private"];
  const responses: Expected[] = [
    {
      headers: [":status", "302", ...cache, "date", date1, "location", loc],
      table: ["location", loc, "date", date1, ...cache, ":status", "302"],
      size: 222,
    },
    {
      headers: [":status", "307", ...cache, "date", date1, "location", loc],
      table: [":status", "307", "location", loc, "date", date1, ...cache],
      size: 222,
    },
    {
      headers: [
        ":status",
        "200",
        ...cache,
        "date",
        date2,
        "location",
        loc,
        "content-encoding",
        "gzip",
        "set-cookie",
        cookie,
      ],
      table: ["set-cookie", cookie, "content-encoding", "gzip", "date", date2],
      size: 215,
    },
  ];

  it(
    "C.5 responses without Huffman, 256-octet table (evictions)",
    series(256, responses, [
      `4803 3330 3258 0770 7269 7661 7465 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133
       2032 303a 3133 3a32 3120 474d 546e 1768 7474 7073 3a2f 2f77 7777 2e65 7861 6d70
       6c65 2e63 6f6d`,
      "4803 3330 37c1 c0bf",
      `88c1 611d 4d6f 6e2c 2032 3120 4f63 7420 3230 3133 2032 303a 3133 3a32 3220 474d
       54c0 5a04 677a 6970 7738 666f 6f3d 4153 444a 4b48 514b 425a 584f 5157 454f 5049
       5541 5851 5745 4f49 553b 206d 6178 2d61 6765 3d33 3630 303b 2076 6572 7369 6f6e
       3d31`,
    ]),
  );

  it(
    "C.6 responses with Huffman, 256-octet table (evictions)",
    series(256, responses, [
      `4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6
       2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3`,
      "4883 640e ffc1 c0bf",
      `88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab
       77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f
       9587 3160 65c0 03ed 4ee5 b106 3d50 07`,
    ]),
  );
});

describe("Huffman strings (§5.2, Appendix B)", () => {
  it("decodes every octet value 0..255, alone and all together", () => {
    const d = new HpackDecoder();
    for (let b = 0; b < 256; b++) {
      expect(d.decode(huffmanField(huffman([b])))).toEqual(["x", String.fromCharCode(b)]);
    }
    const all = Array.from({ length: 256 }, (_, i) => i);
    expect(d.decode(huffmanField(huffman(all)))).toEqual(["x", String.fromCharCode(...all)]);
  });

  it("decodes an empty Huffman string", () => {
    expect(new HpackDecoder().decode(huffmanField(new Uint8Array(0)))).toEqual(["x", ""]);
  });

  it("rejects padding that is not all 1s", () => {
    // 'a' is 00011 (5 bits); 0x18 pads with 000.
    expect(huffman([0x61])).toEqual(hex("1f"));
    expect(() => new HpackDecoder().decode(huffmanField(hex("18")))).toThrow(/invalid padding/);
  });

  it("rejects padding longer than 7 bits", () => {
    // "302" is exactly 16 bits (C.6.1); one more 0xff octet is 8 bits of padding.
    expect(new HpackDecoder().decode(huffmanField(hex("6402")))).toEqual(["x", "302"]);
    expect(() => new HpackDecoder().decode(huffmanField(hex("6402 ff")))).toThrow(/invalid padding/);
  });

  it("rejects EOS inside the string", () => {
    const err = (() => {
      try {
        new HpackDecoder().decode(huffmanField(huffman([0x61, 256, 0x61])));
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(HpackError);
    expect((err as Error).message).toMatch(/contains EOS/);
    expect(() => new HpackDecoder().decode(huffmanField(hex("ffff ffff")))).toThrow(/contains EOS/);
  });
});

describe("decoder errors", () => {
  const fails = (block: Uint8Array, message: RegExp, decoder = new HpackDecoder()) => {
    expect(() => decoder.decode(block)).toThrow(HpackError);
    expect(() => decoder.decode(block)).toThrow(message);
  };

  it("index 0", () => fails(hex("80"), /index 0/));

  it("index past the table", () => {
    fails(hex("be"), /index 62 past the table \(61 static \+ 0 dynamic/);
    fails(bytes(integer(0x40, 6, 70), 0x00), /index 70 past the table/);
    fails(bytes(integer(0x00, 4, 62), 0x00), /index 62 past the table/);
  });

  it("dynamic table size update above SETTINGS_HEADER_TABLE_SIZE, or after a field", () => {
    fails(integer(0x20, 5, 4097), /size update to 4097 above SETTINGS_HEADER_TABLE_SIZE 4096/);
    fails(bytes(0x82, integer(0x20, 5, 0)), /size update after a header field/);
    // Two updates at the start are fine (§4.2), and the maximum itself is allowed.
    expect(new HpackDecoder().decode(bytes(integer(0x20, 5, 0), integer(0x20, 5, 4096), 0x82))).toEqual([
      ":method",
      "GET",
    ]);
  });

  it("truncated or oversized integers", () => {
    fails(hex("ff"), /truncated integer at offset 0/);
    fails(hex("82 ff 80"), /truncated integer at offset 1/);
    fails(hex("ff ff ff ff ff 0f"), /integer over 2\^31/);
    fails(hex("ff 80 80 80 80 80 00"), /longer than 5 continuation octets/);
  });

  it("truncated or missing string literals", () => {
    fails(bytes(0x00, 0x05, "ab"), /truncated string literal at offset 1: length 5, 2 octets left/);
    fails(bytes(0x00, 0x01, "a"), /missing string literal at offset 3/);
    fails(bytes(0x00, 0xff, 0x7f), /truncated string literal/);
  });

  it("header list over maxHeaderListSize; the table stays in sync", () => {
    const block = hex("82 82 82"); // 3 × (7 + 3 + 32) = 126
    expect(new HpackDecoder(4096, 126).decode(block)).toHaveLength(6);
    fails(block, /header list size 126 exceeds the limit 125/, new HpackDecoder(4096, 125));
    const d = new HpackDecoder(4096, 50);
    // An indexed insert inside an over-limit block still lands in the table (the peer's did too).
    expect(() => d.decode(bytes(0x82, 0x40, 0x01, "k", 0x01, "v"))).toThrow(/exceeds the limit 50/);
    expect(d.decode(hex("be"))).toEqual(["k", "v"]);
  });
});

describe("dynamic table", () => {
  const literal = (name: string, value: string) =>
    bytes(0x40, integer(0, 7, name.length), name, integer(0, 7, value.length), value);

  it("an entry larger than the table empties it and is not added (§4.4)", () => {
    const d = new HpackDecoder(64);
    d.decode(literal("a", "b"));
    expect(dynamicTable(d, 1)).toEqual(["a", "b"]);
    expect(d.decode(literal("big", "x".repeat(40)))).toEqual(["big", "x".repeat(40)]);
    dynamicTable(d, 0);
  });

  it("a size update evicts, and the table refills up to the new limit", () => {
    const d = new HpackDecoder(4096);
    d.decode(bytes(literal("a", "1"), literal("b", "2")));
    expect(dynamicTable(d, 2)).toEqual(["b", "2", "a", "1"]);
    d.decode(integer(0x20, 5, 34)); // room for exactly one 34-octet entry
    expect(dynamicTable(d, 1)).toEqual(["b", "2"]);
    d.decode(literal("c", "3"));
    expect(dynamicTable(d, 1)).toEqual(["c", "3"]);
  });

  it("holds many entries in order (ring growth, multi-octet indices)", () => {
    const d = new HpackDecoder(65536);
    const want: string[] = [];
    for (let i = 0; i < 300; i++) {
      d.decode(literal(`k${i}`, `v${i}`));
      want.unshift(`k${i}`, `v${i}`);
    }
    expect(dynamicTable(d, 300)).toEqual(want);
  });
});

describe("HpackEncoder", () => {
  const enc = new HpackEncoder();

  it("byte-exact output", () => {
    expect(enc.encode([":method", "POST", ":status", "200"])).toEqual(hex("83 88"));
    expect(enc.encode(["content-type", "application/grpc"])).toEqual(
      bytes(0x0f, 0x10, 0x10, "application/grpc"), // name index 31 = 15 + 16
    );
    expect(enc.encode(["grpc-status", "0"])).toEqual(bytes(0x00, 0x0b, "grpc-status", 0x01, "0"));
    expect(enc.encode(["x", "y".repeat(200)])).toEqual(bytes(0x00, 0x01, "x", 0x7f, 0x49, "y".repeat(200)));
  });

  it("round-trips through the decoder without touching its dynamic table", () => {
    const list = [
      ":method",
      "POST", // static exact
      ":path",
      "/plugin.KV/Get", // static name
      ":authority",
      "", // static exact, empty value
      "grpc-timeout",
      "", // new name, empty value
      "te",
      "trailers",
      "x-long",
      "é".repeat(300), // latin1, multi-octet length
      "n".repeat(130),
      "v",
    ];
    const block = enc.encode(list);
    expect(enc.encode(list)).toEqual(block); // deterministic
    const d = new HpackDecoder();
    expect(d.decode(block)).toEqual(list);
    dynamicTable(d, 0);
  });

  it("rejects characters that are not octets, and odd lists", () => {
    expect(() => enc.encode(["x", "€"])).toThrow(/header "x" has character U\+20ac at 0/);
    expect(() => enc.encode(["x"])).toThrow(/flat \[name, value, …\] list/);
  });
});
