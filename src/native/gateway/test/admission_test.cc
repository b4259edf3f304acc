// Admission: targets, MASQUE paths, bearer tokens and policy decisions, with the edge cases
// the TypeScript gateway's tests pinned (test/unit/gateway/policy.test.ts, protocol tests).
#include <string>

#include "../admission/bearer.h"
#include "../admission/masque_path.h"
#include "../admission/policy.h"
#include "../admission/target.h"
#include "check.h"
#include "ipv4_text.h"

using namespace passerelle::gateway::admission;

TEST(admission_parses_only_strict_dotted_quads) {
  uint32_t a = 0;
  CHECK(parse_ipv4("198.18.0.10", &a) && a == 0xc612000a);
  CHECK(parse_ipv4("0.0.0.0", &a) && a == 0);
  CHECK(parse_ipv4("255.255.255.255", &a) && a == 0xffffffff);
  const char* bad[] = {"010.1.1.1", "1.1.1", "1.1.1.1.", "256.1.1.1", "3232235521", "1.1.1.1 ",
                       "0x7f.0.0.1", "", "1..1.1", "1.1.1.0001", "-1.1.1.1"};
  for (const char* text : bad) CHECK(!parse_ipv4(text, &a));
  char text[16];
  CHECK(std::string(text, passerelle::core::FormatIpv4(0xc612000a, text)) == "198.18.0.10");
  CHECK(std::string(text, passerelle::core::FormatIpv4(0, text)) == "0.0.0.0");
}

TEST(admission_parses_prefixes_and_authorities) {
  uint32_t network;
  uint8_t prefix;
  CHECK(parse_ipv4_prefix("198.18.0.0/24", &network, &prefix) && network == 0xc6120000 &&
        prefix == 24);
  CHECK(parse_ipv4_prefix("198.18.0.10", &network, &prefix) && prefix == 32);
  CHECK(!parse_ipv4_prefix("198.18.0.10/24", &network, &prefix));
  CHECK(!parse_ipv4_prefix("198.18.0.0/33", &network, &prefix));
  CHECK(!parse_ipv4_prefix("198.18.0.0/", &network, &prefix));
  Authority auth;
  CHECK(parse_authority("198.18.0.10:80", &auth) && auth.host == "198.18.0.10" && auth.port == 80);
  CHECK(parse_authority("app.corp.test:8080", &auth) && auth.host == "app.corp.test");
  CHECK(parse_authority("[::1]:443", &auth) && auth.host == "::1");
  const char* bad[] = {"198.18.0.10", "198.18.0.10:0", "198.18.0.10:65536", ":80", "a:b:80",
                       "x:123456", "[]:80", "[a]b]:80", "host:8a"};
  for (const char* text : bad) CHECK(!parse_authority(text, &auth));
  uint32_t address;
  CHECK(classify_host("198.18.0.10", &address) == HostKind::kAddress);
  CHECK(classify_host("app.corp.test.", &address) == HostKind::kName);
  CHECK(classify_host("::ffff:127.0.0.1", &address) == HostKind::kIpv6);
  CHECK(classify_host("bad_name", &address) == HostKind::kInvalid);
  CHECK(classify_host("a..b", &address) == HostKind::kInvalid);
  CHECK(classify_host(std::string(64, 'a'), &address) == HostKind::kInvalid);
  // Other spellings of an address are names (they fail to resolve), never addresses.
  CHECK(classify_host("0177.0.0.1", &address) == HostKind::kName);
}

TEST(admission_parses_masque_paths) {
  MasqueTarget t = parse_masque_path(true, "/.well-known/masque/udp/198.18.0.53/53/");
  CHECK(t.kind == MasqueKind::kUdp && t.host == "198.18.0.53" && t.port == 53);
  t = parse_masque_path(true, "/.well-known/masque/udp/app.corp.test/7?x=1");
  CHECK(t.kind == MasqueKind::kUdp && t.host == "app.corp.test" && t.port == 7);
  t = parse_masque_path(false, "/.well-known/masque/ip/198.18.0.0%2F24/1/");
  CHECK(t.kind == MasqueKind::kIp && t.host == "198.18.0.0/24" && t.ipproto == 1);
  t = parse_masque_path(false, "/.well-known/masque/ip/*/*/");
  CHECK(t.kind == MasqueKind::kIp && t.host == "*" && t.ipproto == -1);
  const char* bad_udp[] = {"/.well-known/masque/udp/h/0/", "/.well-known/masque/udp/h/65536/",
                           "/.well-known/masque/udp//53/", "/.well-known/masque/ip/h/53/",
                           "/.well-known/masque/udp/h/53/x", "/masque/udp/h/53/",
                           "/.well-known/masque/udp/%zz/53/", "/.well-known/masque/udp/%ff/53/",
                           "/.well-known/masque/udp/h/53//", ""};
  for (const char* path : bad_udp) CHECK(parse_masque_path(true, path).kind == MasqueKind::kInvalid);
  CHECK(parse_masque_path(false, "/.well-known/masque/ip/*/256/").kind == MasqueKind::kInvalid);
  std::string decoded;
  CHECK(percent_decode("caf%C3%A9", &decoded) && decoded == "caf\xc3\xa9");
  CHECK(!percent_decode("%C0%AF", &decoded));  // overlong "/"
  CHECK(!percent_decode("%ED%A0%80", &decoded));  // a surrogate
  CHECK(!percent_decode("%4", &decoded));
}

TEST(admission_parses_bearer_tokens) {
  std::string token(43, 'A');
  CHECK(parse_bearer("Bearer " + token) == token);
  CHECK(parse_bearer("  bearer   " + token + "\t") == token);
  CHECK(parse_bearer("Bearer abc==") == "abc==");
  CHECK(parse_bearer("Basic abc").empty());
  CHECK(parse_bearer("Bearer").empty());
  CHECK(parse_bearer("Bearer ").empty());
  CHECK(parse_bearer("Bearer a b").empty());
  CHECK(parse_bearer("Bearer a=b").empty());
  CHECK(parse_bearer("Bearer\t" + token).empty());
  CHECK(parse_bearer("Bearer " + std::string(5000, 'a')).empty());
  CHECK(is_token_shape(token));
  CHECK(!is_token_shape("abc"));
  CHECK(!is_token_shape(std::string(42, 'A') + "+"));
  // SHA-256("abc"), FIPS 180-2 appendix B.1.
  TokenHash h = hash_token("abc");
  CHECK(h[0] == 0xba && h[1] == 0x78 && h[31] == 0xad);
}

namespace {

Rule rule(bool allow, int32_t policy, uint32_t resource, uint32_t network, uint8_t prefix,
          uint8_t protocols, bool covers_icmp = true) {
  Rule r;
  r.allow = allow;
  r.policy_index = policy;
  r.resource = resource;
  r.prefix = Prefix{network, prefix == 0 ? 0 : ~uint32_t{0} << (32 - prefix)};
  r.protocols = protocols;
  r.covers_icmp = covers_icmp;
  return r;
}

const uint8_t kAll = protocol_bit(Protocol::kTcp) | protocol_bit(Protocol::kUdp) |
                     protocol_bit(Protocol::kIcmp);

}  // namespace

TEST(admission_decides_first_match_default_deny) {
  RuleSet set;
  set.resource_names = {"web", "all"};
  // Policy 0 denies web (198.18.0.10/32, tcp 80 and 8000-8099); policy 1 allows everything
  // in 198.18.0.0/24.
  Rule web = rule(false, 0, 0, 0xc612000a, 32, protocol_bit(Protocol::kTcp), false);
  web.ports = {{80, 80}, {8000, 8099}};
  set.rules.push_back(web);
  set.rules.push_back(rule(true, 1, 1, 0xc6120000, 24, kAll));
  Decision d = decide(set, nullptr, Protocol::kTcp, 0xc612000a, 80);
  CHECK(!d.allow && d.policy_index == 0 && d.resource == 0);
  d = decide(set, nullptr, Protocol::kTcp, 0xc612000a, 8050);
  CHECK(!d.allow && d.policy_index == 0);
  d = decide(set, nullptr, Protocol::kTcp, 0xc612000a, 22);
  CHECK(d.allow && d.policy_index == 1 && d.resource == 1);
  // The port-limited resource says nothing about ICMP: the next rule decides.
  d = decide(set, nullptr, Protocol::kIcmp, 0xc612000a, 0);
  CHECK(d.allow && d.policy_index == 1);
  d = decide(set, nullptr, Protocol::kUdp, 0xc6120100, 53);
  CHECK(!d.allow && d.policy_index == -1 && d.resource == -1);
}

TEST(admission_reaches_reserved_destinations_only_through_a_resource_inside_them) {
  ReservedList reserved;
  reserved.blocks = {{Prefix{0x7f000000, 0xff000000}, "loopback"},
                     {Prefix{0xa9fe0000, 0xffff0000}, "link-local"},
                     {Prefix{0xc6120001, 0xffffffff}, "gateway-address"}};
  RuleSet set;
  set.resource_names = {"everything", "metrics"};
  set.rules.push_back(rule(true, 0, 0, 0, 0, kAll));
  Decision d = decide(set, &reserved, Protocol::kTcp, 0xc612000a, 80);
  CHECK(d.allow && d.reserved == nullptr);
  d = decide(set, &reserved, Protocol::kTcp, 0x7f000001, 9100);
  CHECK(!d.allow && d.policy_index == -1 && d.reserved != nullptr && *d.reserved == "loopback");
  d = decide(set, &reserved, Protocol::kTcp, 0xa9fea9fe, 80);
  CHECK(!d.allow && d.reserved != nullptr && *d.reserved == "link-local");
  d = decide(set, &reserved, Protocol::kIcmp, 0xc6120001, 0);
  CHECK(!d.allow && d.reserved != nullptr && *d.reserved == "gateway-address");
  // A resource that names the range opens it (127.0.0.1/32 inside 127.0.0.0/8).
  RuleSet named;
  named.resource_names = {"metrics"};
  named.rules.push_back(rule(true, 0, 0, 0x7f000001, 32, protocol_bit(Protocol::kTcp)));
  d = decide(named, &reserved, Protocol::kTcp, 0x7f000001, 9100);
  CHECK(d.allow && d.resource == 0);
  // Any deny covers a reserved address.
  RuleSet denied;
  denied.resource_names = {"everything"};
  denied.rules.push_back(rule(false, 3, 0, 0, 0, kAll));
  d = decide(denied, &reserved, Protocol::kTcp, 0x7f000001, 22);
  CHECK(!d.allow && d.policy_index == 3 && d.reserved == nullptr);
  CHECK(prefix_within(Prefix{0x7f000001, 0xffffffff}, Prefix{0x7f000000, 0xff000000}));
  CHECK(!prefix_within(Prefix{0, 0}, Prefix{0x7f000000, 0xff000000}));
}

TEST(admission_knows_whether_icmp_may_be_allowed_in_a_scope) {
  RuleSet set;
  set.rules.push_back(rule(true, 0, 0, 0, 0, kAll));
  CHECK(may_allow_icmp(set, Prefix{0, 0}));
  RuleSet none;
  none.rules.push_back(rule(true, 0, 0, 0xc612000a, 32, protocol_bit(Protocol::kTcp)));
  CHECK(!may_allow_icmp(none, Prefix{0, 0}));
  RuleSet elsewhere;
  elsewhere.rules.push_back(rule(true, 0, 0, 0xc612000a, 32, kAll));
  CHECK(!may_allow_icmp(elsewhere, Prefix{0xc6120100, 0xffffff00}));
  CHECK(may_allow_icmp(elsewhere, Prefix{0xc6120000, 0xffff0000}));
}
