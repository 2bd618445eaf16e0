import { describe, expect, it } from "vitest";
import {
  assertOutboundAllowed,
  BlockedDestinationError,
  blockedHostReason,
  blockedIpv6Reason,
  outboundPolicy,
  outboundRefusal,
  parseIpv6,
  resetProductionWarning,
  STRICT_OUTBOUND_POLICY,
} from "./network-policy";

/** Every way of writing a private or local destination that a tenant might try. */
const REFUSED_URLS: readonly string[] = [
  // loopback, in every IPv4 spelling the URL parser accepts
  "http://127.0.0.1/",
  "http://127.0.0.1:8080/admin",
  "http://2130706433/",
  "http://0x7f000001/",
  "http://017700000001/",
  "http://0177.0.0.1/",
  "http://0x7f.1/",
  "http://0x7F.0.0.1/",
  "http://127.1/",
  "http://127.0.1/",
  "http://127.0.0.1./",
  "http://127.255.255.254/",
  // names of this machine or a private network
  "http://localhost/",
  "http://LOCALHOST./",
  "http://api.localhost/",
  "http://printer.local/",
  "http://metadata.google.internal/computeMetadata/v1/",
  "http://router.home.arpa/",
  // unspecified, private, CGNAT, link-local (cloud metadata)
  "http://0.0.0.0/",
  "http://0/",
  "http://0.1.2.3/",
  "http://10.0.0.1/",
  "http://10.255.255.255/",
  "http://172.16.0.1/",
  "http://172.31.255.255/",
  "http://192.168.1.1/",
  "http://0xc0a80001/",
  "http://100.64.0.1/",
  "http://100.127.255.254/",
  "http://169.254.169.254/latest/meta-data/",
  "http://2852039166/latest/meta-data/",
  // multicast, broadcast, reserved, documentation
  "http://224.0.0.1/",
  "http://239.255.255.250/",
  "http://255.255.255.255/",
  "http://240.0.0.1/",
  "http://192.0.0.8/",
  "http://198.18.0.1/",
  // IPv6: loopback, unspecified, unique-local, link-local, multicast
  "http://[::1]/",
  "http://[0:0:0:0:0:0:0:1]/",
  "http://[::]/",
  "http://[fc00::1]/",
  "http://[fd12:3456:789a::1]/",
  "http://[fe80::1]/",
  "http://[febf::1]/",
  "http://[ff02::1]/",
  // IPv4 inside IPv6: mapped, compatible, NAT64 of a private address, 6to4 of loopback
  "http://[::ffff:127.0.0.1]/",
  "http://[::ffff:7f00:1]/",
  "http://[0:0:0:0:0:ffff:7f00:1]/",
  "http://[::ffff:169.254.169.254]/",
  "http://[::ffff:8.8.8.8]/",
  "http://[::127.0.0.1]/",
  "http://[64:ff9b::127.0.0.1]/",
  "http://[64:ff9b::a00:1]/",
  "http://[64:ff9b::169.254.169.254]/",
  "http://[2002:7f00:1::]/",
  // not http(s)
  "file:///etc/passwd",
  "ftp://example.com/",
  "gopher://example.com/",
  "ws://example.com/",
];

/** Public addresses that must stay reachable. */
const ALLOWED_URLS: readonly string[] = [
  "https://example.com/help",
  "http://help.acme.test/faq",
  "https://localhost.example.com/",
  "https://intranet-docs.com/",
  "http://8.8.8.8/",
  "http://1.1.1.1/",
  "http://172.32.0.1/",
  "http://172.15.255.255/",
  "http://100.128.0.1/",
  "http://192.169.0.1/",
  "http://[2606:4700:4700::1111]/",
  "http://[64:ff9b::8.8.8.8]/",
  "http://[2002:808:808::1]/",
];

describe("outbound address policy", () => {
  it.each(REFUSED_URLS)("refuses %s", (raw) => {
    const reason = outboundRefusal(new URL(raw), STRICT_OUTBOUND_POLICY);
    expect(reason).toEqual(expect.any(String));
    expect(() => assertOutboundAllowed(raw, STRICT_OUTBOUND_POLICY)).toThrow(BlockedDestinationError);
  });

  it.each(ALLOWED_URLS)("allows %s", (raw) => {
    expect(outboundRefusal(new URL(raw), STRICT_OUTBOUND_POLICY)).toBeNull();
  });

  it("relies on the WHATWG URL parser to bring every IPv4 spelling to one canonical form", () => {
    for (const spelling of ["2130706433", "0177.0.0.1", "0x7f.1", "127.1", "127.0.1", "127.0.0.1.", "0x7f000001", "017700000001"]) {
      expect(new URL(`http://${spelling}/`).hostname).toBe("127.0.0.1");
    }
    expect(new URL("http://[::ffff:127.0.0.1]/").hostname).toBe("[::ffff:7f00:1]");
    expect(new URL("http://[0:0:0:0:0:0:0:1]/").hostname).toBe("[::1]");
    // Spellings the parser refuses never reach a fetch at all.
    expect(() => new URL("http://127.0.0.256/")).toThrow();
    expect(() => new URL("http://[::ffff:127.0.0.1%25eth0]/")).toThrow();
  });

  it("names the reason, so an admin knows what to change", () => {
    expect(blockedHostReason("169.254.169.254")).toMatch(/link-local.*metadata/);
    expect(blockedHostReason("10.0.0.1")).toMatch(/private network/);
    expect(blockedHostReason("[::ffff:7f00:1]")).toMatch(/IPv4-mapped/);
    expect(blockedHostReason("[64:ff9b::a00:1]")).toMatch(/NAT64.*10\.0\.0\.0\/8/);
    expect(blockedHostReason("printer.local")).toBe("a local host name");
    expect(outboundRefusal(new URL("http://2130706433:8080/"), STRICT_OUTBOUND_POLICY)).toBe(
      "127.0.0.1:8080 is a loopback address (127.0.0.0/8); only public internet addresses can be fetched",
    );
  });

  it("parses IPv6 text in its compressed, full and dotted forms", () => {
    expect(parseIpv6("[::1]")).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6("::ffff:1.2.3.4")).toEqual([0, 0, 0, 0, 0, 0xffff, 0x102, 0x304]);
    expect(parseIpv6("2001:db8:0:0:0:0:0:1")).toEqual([0x2001, 0xdb8, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6("1::2::3")).toBeNull();
    expect(parseIpv6("12345::")).toBeNull();
    expect(parseIpv6("1:2:3:4:5:6:7")).toBeNull();
    expect(blockedIpv6Reason("2606:4700:4700::1111")).toBeNull();
  });

  it("lets through exactly the host:port pairs of ALLOW_PRIVATE_FETCH outside production", () => {
    const policy = outboundPolicy({ ENVIRONMENT: "development", ALLOW_PRIVATE_FETCH: "127.0.0.1:8787, http://localhost:3000/" });
    expect(outboundRefusal(new URL("http://127.0.0.1:8787/x"), policy)).toBeNull();
    // The parser's canonical form is what is compared: another spelling of the same server passes too.
    expect(outboundRefusal(new URL("http://2130706433:8787/x"), policy)).toBeNull();
    expect(outboundRefusal(new URL("http://localhost:3000/"), policy)).toBeNull();
    // Another port, another host or the default port are not in the list.
    expect(outboundRefusal(new URL("http://127.0.0.1:8788/"), policy)).toMatch(/loopback/);
    expect(outboundRefusal(new URL("http://127.0.0.1/"), policy)).toMatch(/loopback/);
    expect(outboundRefusal(new URL("http://169.254.169.254/"), policy)).toMatch(/link-local/);
    // Schemes stay refused even for a listed host.
    expect(outboundRefusal(new URL("ftp://127.0.0.1:8787/"), policy)).toMatch(/only http and https/);
  });

  it("ignores ALLOW_PRIVATE_FETCH in production and warns once", () => {
    resetProductionWarning();
    const warnings: string[] = [];
    const env = { ENVIRONMENT: "production", ALLOW_PRIVATE_FETCH: "127.0.0.1:8787" };
    const policy = outboundPolicy(env, (msg) => warnings.push(msg));
    outboundPolicy(env, (msg) => warnings.push(msg));
    expect(policy.allowedPrivateHosts.size).toBe(0);
    expect(outboundRefusal(new URL("http://127.0.0.1:8787/x"), policy)).toMatch(/loopback/);
    expect(warnings).toEqual(["ALLOW_PRIVATE_FETCH is ignored in production; only public addresses are fetched"]);
  });
});
