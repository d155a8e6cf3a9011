import { Construct } from 'constructs';
import { ComputeNetwork } from '@cdktf/provider-google/lib/compute-network';
import { ComputeRouter } from '@cdktf/provider-google/lib/compute-router';
import { ComputeRouterNat } from '@cdktf/provider-google/lib/compute-router-nat';
import { ComputeSubnetwork } from '@cdktf/provider-google/lib/compute-subnetwork';

/** Props of {@link PrivateNetwork}. */
export interface PrivateNetworkProps {
  /** Name prefix of the network resources (lowercase letters, digits, hyphens). */
  readonly name: string;
  /** Region of the subnetwork, router and NAT, e.g. `us-central1`. */
  readonly region: string;
  /**
   * Primary IPv4 range of the subnetwork.
   * @default '10.10.0.0/20' - 4,092 usable addresses
   */
  readonly subnetCidr?: string;
}

/** Default primary range of the subnetwork a {@link PrivateNetwork} creates. */
export const DEFAULT_SUBNET_CIDR = '10.10.0.0/20';

/**
 * A private network for VMs without external IP addresses: a custom-mode VPC network, one regional
 * subnetwork with Private Google Access (Google APIs such as Artifact Registry, Cloud Logging and
 * Cloud Monitoring are reached without leaving Google's network), and a Cloud Router with Cloud NAT
 * for egress to the internet (container registries and model hubs outside Google). Nothing is
 * reachable from the internet: the network has no firewall rule admitting ingress, so the implied
 * deny-all-ingress rule applies until a construct adds a narrow one.
 */
export class PrivateNetwork extends Construct {
  public readonly network: ComputeNetwork;
  public readonly subnetwork: ComputeSubnetwork;
  public readonly router: ComputeRouter;
  public readonly nat: ComputeRouterNat;
  /** Self link of the VPC network. */
  public readonly networkSelfLink: string;
  /** Self link of the subnetwork. */
  public readonly subnetworkSelfLink: string;
  /** Primary IPv4 range of the subnetwork. */
  public readonly subnetCidr: string;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);
    this.subnetCidr = props.subnetCidr ?? DEFAULT_SUBNET_CIDR;

    this.network = new ComputeNetwork(this, 'Network', {
      name: `${props.name}-net`,
      description: 'Private network (ai-stack-constructs)',
      autoCreateSubnetworks: false,
      routingMode: 'REGIONAL',
    });
    this.subnetwork = new ComputeSubnetwork(this, 'Subnetwork', {
      name: `${props.name}-subnet`,
      region: props.region,
      network: this.network.id,
      ipCidrRange: this.subnetCidr,
      privateIpGoogleAccess: true,
      stackType: 'IPV4_ONLY',
    });
    this.router = new ComputeRouter(this, 'Router', {
      name: `${props.name}-router`,
      region: props.region,
      network: this.network.id,
    });
    this.nat = new ComputeRouterNat(this, 'Nat', {
      name: `${props.name}-nat`,
      region: props.region,
      router: this.router.name,
      natIpAllocateOption: 'AUTO_ONLY',
      sourceSubnetworkIpRangesToNat: 'LIST_OF_SUBNETWORKS',
      subnetwork: [{ name: this.subnetwork.id, sourceIpRangesToNat: ['ALL_IP_RANGES'] }],
      logConfig: { enable: true, filter: 'ERRORS_ONLY' },
    });
    this.networkSelfLink = this.network.selfLink;
    this.subnetworkSelfLink = this.subnetwork.selfLink;
  }
}
