import { NatGateway } from '@cdktf/provider-azurerm/lib/nat-gateway';
import { NatGatewayPublicIpAssociation } from '@cdktf/provider-azurerm/lib/nat-gateway-public-ip-association';
import { PublicIp } from '@cdktf/provider-azurerm/lib/public-ip';
import { Subnet } from '@cdktf/provider-azurerm/lib/subnet';
import { SubnetNatGatewayAssociation } from '@cdktf/provider-azurerm/lib/subnet-nat-gateway-association';
import { VirtualNetwork } from '@cdktf/provider-azurerm/lib/virtual-network';
import { Construct } from 'constructs';

export interface PrivateNetworkProps {
  /** Name stem of the resources: `vnet-<name>`, `snet-<name>`, `ng-<name>`, `pip-<name>-egress`. */
  readonly name: string;
  readonly resourceGroupName: string;
  readonly location: string;
  /**
   * Address space of the virtual network (CIDR).
   * @default '10.40.0.0/16'
   */
  readonly addressSpace?: string;
  /**
   * Address prefix of the subnet, inside `addressSpace`.
   * @default '10.40.0.0/20' - 4,091 usable addresses
   */
  readonly subnetPrefix?: string;
}

/**
 * A virtual network with one private subnet whose only way out is a NAT gateway: resources in the
 * subnet get no public IP and no default outbound access, and reach the internet (package mirrors,
 * container registries, Azure APIs) through the NAT gateway's one static public IP, which accepts no
 * inbound connections.
 */
export class PrivateNetwork extends Construct {
  public readonly virtualNetwork: VirtualNetwork;
  public readonly subnet: Subnet;
  /** Address prefix (CIDR) of `subnet`, known at synth unless `subnetPrefix` was a token. */
  public readonly subnetPrefix: string;
  public readonly natGateway: NatGateway;
  /** The static egress address (allow-list it at a firewall or registry if needed). */
  public readonly egressIp: PublicIp;
  /** The subnet's link to the NAT gateway: depend on it for anything that needs egress at boot. */
  public readonly egressAssociation: SubnetNatGatewayAssociation;

  constructor(scope: Construct, id: string, props: PrivateNetworkProps) {
    super(scope, id);
    const { name, resourceGroupName, location } = props;
    this.subnetPrefix = props.subnetPrefix ?? '10.40.0.0/20';
    this.virtualNetwork = new VirtualNetwork(this, 'vnet', {
      name: `vnet-${name}`,
      resourceGroupName,
      location,
      addressSpace: [props.addressSpace ?? '10.40.0.0/16'],
    });
    this.subnet = new Subnet(this, 'subnet', {
      name: `snet-${name}`,
      resourceGroupName,
      virtualNetworkName: this.virtualNetwork.name,
      addressPrefixes: [this.subnetPrefix],
      // Private subnet: no implicit outbound internet; egress only through the NAT gateway.
      defaultOutboundAccessEnabled: false,
    });
    this.egressIp = new PublicIp(this, 'egress-ip', {
      name: `pip-${name}-egress`,
      resourceGroupName,
      location,
      allocationMethod: 'Static',
      sku: 'Standard',
    });
    this.natGateway = new NatGateway(this, 'nat', {
      name: `ng-${name}`,
      resourceGroupName,
      location,
      skuName: 'Standard',
      idleTimeoutInMinutes: 10,
    });
    new NatGatewayPublicIpAssociation(this, 'nat-ip', { natGatewayId: this.natGateway.id, publicIpAddressId: this.egressIp.id });
    this.egressAssociation = new SubnetNatGatewayAssociation(this, 'subnet-nat', { subnetId: this.subnet.id, natGatewayId: this.natGateway.id });
  }
}
