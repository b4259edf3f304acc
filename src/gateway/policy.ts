// Authorization: ordered policies over named resources. The first policy whose subject
// matches the user and whose resources contain the flow decides; nothing matched = deny.
import { cidrContains, formatCidr, parseCidr, type Cidr } from '../shared/net/ipv4.js';
import {
  PROTOCOLS,
  type AllowedResource,
  type PortRange,
  type Protocol,
} from '../shared/protocol/session.js';
import type { PolicyConfig, ResourceConfig } from './config/schema.js';
import { ReservedDestinations, cidrWithin, type ReservedKind } from './reserved.js';

/**
 * A user's policy as the data plane evaluates it (src/native/gateway/admission/policy.h): the
 * rules of every policy that applies to the user, in order, one per resource the policy names.
 * The first rule whose resource contains a flow decides, which is what `decide` does.
 */
export interface CompiledRules {
  resourceNames: string[];
  rules: {
    allow: boolean;
    policy: number;
    resource: number;
    network: number;
    mask: number;
    /** Bit 0 tcp, bit 1 udp, bit 2 icmp. */
    protocols: number;
    coversIcmp: boolean;
    ports: PortRange[];
  }[];
}

const PROTOCOL_BITS: Record<Protocol, number> = { tcp: 1, udp: 2, icmp: 4 };

export interface Subject {
  user: string;
  groups: readonly string[];
}

export interface FlowRequest {
  protocol: Protocol;
  /** Destination IPv4 address as a 32-bit number. */
  address: number;
  /** Destination port; absent for ICMP. */
  port?: number;
}

export interface Decision {
  verdict: 'allow' | 'deny';
  /** Index of the deciding policy, or null when nothing matched (default deny). */
  policy: number | null;
  /** The resource that matched in the deciding policy. */
  resource: string | null;
  /**
   * Set when the destination is reserved (loopback, link-local, the gateway's own
   * addresses...) and no resource naming that range allowed it.
   */
  reserved?: ReservedKind;
}

interface CompiledResource {
  name: string;
  cidr: Cidr;
  /** Empty = every port. */
  ports: PortRange[];
  protocols: ReadonlySet<Protocol>;
  /** Whether the resource listed ports (then ICMP needs an explicit "icmp" protocol). */
  restrictsPorts: boolean;
  explicitProtocols: boolean;
}

interface CompiledPolicy {
  everyone: boolean;
  users: ReadonlySet<string>;
  groups: ReadonlySet<string>;
  verdict: 'allow' | 'deny';
  resources: CompiledResource[];
}

function compileResource(resource: ResourceConfig): CompiledResource {
  return {
    name: resource.name,
    cidr: parseCidr(resource.address),
    ports: resource.ports ?? [],
    protocols: new Set(resource.protocols ?? PROTOCOLS),
    restrictsPorts: (resource.ports?.length ?? 0) > 0,
    explicitProtocols: resource.protocols !== undefined,
  };
}

function coversProtocol(resource: CompiledResource, protocol: Protocol): boolean {
  if (!resource.protocols.has(protocol)) return false;
  // Ports say nothing about ICMP: a port-limited resource covers ICMP only when it names it.
  return protocol !== 'icmp' || !resource.restrictsPorts || resource.explicitProtocols;
}

export function resourceContains(resource: CompiledResource, flow: FlowRequest): boolean {
  if (!coversProtocol(resource, flow.protocol)) return false;
  if (!cidrContains(resource.cidr, flow.address)) return false;
  if (flow.protocol === 'icmp' || resource.ports.length === 0) return true;
  const port = flow.port ?? -1;
  return resource.ports.some((range) => port >= range.from && port <= range.to);
}

/** Whether a resource's block and `range` share an address. */
function overlaps(resource: CompiledResource, range: Cidr): boolean {
  return cidrWithin(resource.cidr, range) || cidrWithin(range, resource.cidr);
}

export class Policy {
  private readonly resources: Map<string, CompiledResource>;
  private readonly policies: CompiledPolicy[];

  /**
   * `reserved`: destinations an allow reaches only through a resource that names their
   * range itself (see reserved.ts); none when omitted.
   */
  constructor(
    resources: ResourceConfig[],
    policies: PolicyConfig[],
    private readonly reserved: ReservedDestinations = new ReservedDestinations(),
  ) {
    this.resources = new Map(resources.map((r) => [r.name, compileResource(r)]));
    this.policies = policies.map((policy) => ({
      everyone: policy.users?.includes('*') ?? false,
      users: new Set(policy.users ?? []),
      groups: new Set(policy.groups ?? []),
      verdict: policy.allow ? 'allow' : 'deny',
      resources: (policy.allow ?? policy.deny ?? []).map((name) => {
        const resource = this.resources.get(name);
        // The schema already refused unknown names; this guards programmatic use.
        if (!resource) throw new Error(`policy names unknown resource "${name}"`);
        return resource;
      }),
    }));
  }

  private appliesTo(policy: CompiledPolicy, subject: Subject): boolean {
    return (
      policy.everyone ||
      policy.users.has(subject.user) ||
      subject.groups.some((g) => policy.groups.has(g))
    );
  }

  decide(subject: Subject, flow: FlowRequest): Decision {
    const reserved = this.reserved.find(flow.address);
    for (let index = 0; index < this.policies.length; index++) {
      const policy = this.policies[index] as CompiledPolicy;
      if (!this.appliesTo(policy, subject)) continue;
      const resource = policy.resources.find(
        (r) =>
          resourceContains(r, flow) &&
          // Any deny covers a reserved address; an allow must name its range.
          (!reserved || policy.verdict === 'deny' || cidrWithin(r.cidr, reserved.cidr)),
      );
      if (resource) return { verdict: policy.verdict, policy: index, resource: resource.name };
    }
    return reserved
      ? { verdict: 'deny', policy: null, resource: null, reserved: reserved.kind }
      : { verdict: 'deny', policy: null, resource: null };
  }

  /**
   * Whether some allow applying to the subject covers part of `range` for `protocol`: the
   * check before a connect-ip stream opens anything. Each packet is still decided alone.
   */
  mayReach(subject: Subject, protocol: Protocol, range: Cidr): boolean {
    return this.policies.some(
      (policy) =>
        policy.verdict === 'allow' &&
        this.appliesTo(policy, subject) &&
        policy.resources.some((r) => overlaps(r, range) && coversProtocol(r, protocol)),
    );
  }

  /**
   * The rules `decide` applies to this subject, flattened for the data plane (which applies the
   * reserved destinations itself, from the list it is given).
   */
  compileFor(subject: Subject): CompiledRules {
    const resourceNames: string[] = [];
    const indexes = new Map<string, number>();
    const rules: CompiledRules['rules'] = [];
    this.policies.forEach((policy, index) => {
      if (!this.appliesTo(policy, subject)) return;
      for (const resource of policy.resources) {
        let resourceIndex = indexes.get(resource.name);
        if (resourceIndex === undefined) {
          resourceIndex = resourceNames.length;
          resourceNames.push(resource.name);
          indexes.set(resource.name, resourceIndex);
        }
        let protocols = 0;
        for (const protocol of resource.protocols) protocols |= PROTOCOL_BITS[protocol];
        rules.push({
          allow: policy.verdict === 'allow',
          policy: index,
          resource: resourceIndex,
          network: resource.cidr.network,
          mask: resource.cidr.mask,
          protocols,
          coversIcmp: !resource.restrictsPorts || resource.explicitProtocols,
          ports: resource.ports,
        });
      }
    });
    return { resourceNames, rules };
  }

  /**
   * The resources shown to the user: those whose first mention in a policy that applies to
   * the user is an allow. (Overlapping resources are still decided flow by flow.)
   */
  allowedResources(subject: Subject): AllowedResource[] {
    const decided = new Map<string, 'allow' | 'deny'>();
    for (const policy of this.policies) {
      if (!this.appliesTo(policy, subject)) continue;
      for (const resource of policy.resources) {
        if (!decided.has(resource.name)) decided.set(resource.name, policy.verdict);
      }
    }
    const allowed: AllowedResource[] = [];
    for (const [name, verdict] of decided) {
      const resource = this.resources.get(name);
      if (verdict !== 'allow' || !resource) continue;
      allowed.push({
        name,
        address: formatCidr(resource.cidr),
        ports: resource.ports,
        protocols: PROTOCOLS.filter((p) => resource.protocols.has(p)),
      });
    }
    return allowed;
  }
}
