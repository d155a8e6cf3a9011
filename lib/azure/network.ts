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
  /**
   * Service endpoints of the subnet (`Microsoft.KeyVault`, …), for services whose firewall admits the
   * subnet: the GPU replicas read their model server's API key from the router's Key Vault.
   * @default - none
   */
  readonly subnetServiceEndpoints?: readonly string[];
  /**
   * Address prefix of a second subnet for the model router's VNet integration, inside `addressSpace`:
   * delegated to `Microsoft.App/environments` (Flex Consumption), egress through the same NAT
   * gateway, with service endpoints for Storage, Key Vault and Cognitive Services so their firewalls
   * admit it. Flex Consumption takes one address per instance.
   * @default - no router subnet
   */
  readonly routerSubnetPrefix?: string;
}

/** Delegation of a Flex Consumption app's integration subnet. */
export const FLEX_SUBNET_DELEGATION = 'Microsoft.App/environments';

/** Service endpoints of the router subnet: its table and blob storage, its Key Vault, Azure OpenAI. */
export const ROUTER_SUBNET_SERVICE_ENDPOINTS: readonly string[] = ['Microsoft.CognitiveServices', 'Microsoft.KeyVault', 'Microsoft.Storage'];

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
  /** The model router's integration subnet, with `routerSubnetPrefix`. */
  public readonly routerSubnet?: Subnet;
  /** Address prefix (CIDR) of `routerSubnet`. */
  public readonly routerSubnetPrefix?: string;
  /** The router subnet's link to the NAT gateway (the router's egress to Application Insights and Entra ID). */
  public readonly routerEgressAssociation?: SubnetNatGatewayAssociation;

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
      serviceEndpoints: props.subnetServiceEndpoints && props.subnetServiceEndpoints.length > 0 ? [...props.subnetServiceEndpoints] : undefined,
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
    if (props.routerSubnetPrefix !== undefined) {
      this.routerSubnetPrefix = props.routerSubnetPrefix;
      this.routerSubnet = new Subnet(this, 'router-subnet', {
        name: `snet-${name}-router`,
        resourceGroupName,
        virtualNetworkName: this.virtualNetwork.name,
        addressPrefixes: [props.routerSubnetPrefix],
        defaultOutboundAccessEnabled: false,
        serviceEndpoints: [...ROUTER_SUBNET_SERVICE_ENDPOINTS],
        delegation: [{ name: 'flex-consumption', serviceDelegation: { name: FLEX_SUBNET_DELEGATION, actions: ['Microsoft.Network/virtualNetworks/subnets/join/action'] } }],
      });
      this.routerEgressAssociation = new SubnetNatGatewayAssociation(this, 'router-subnet-nat', { subnetId: this.routerSubnet.id, natGatewayId: this.natGateway.id });
    }
  }
}
