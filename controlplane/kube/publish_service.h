// --publish-service=NS/NAME: the Service whose addresses the leader publishes
// as Ingress status.loadBalancer.ingress (the flag is checked in
// controller_flags.cc). Pure functions; no threading.
#pragma once

#include <string>
#include <vector>

#include "controlplane/kube/ingress_status_writer.h"
#include "rapidjson/document.h"

namespace portico::controlplane {

// What a Service offers to publish: its status.loadBalancer.ingress (IPs and
// hostnames, in order) when there is one; else an ExternalName Service's
// externalName; else its cluster IPs (spec.clusterIPs, else spec.clusterIP;
// "None", a headless Service, has none). Empty when nothing applies.
std::vector<LoadBalancerAddress> PublishServiceAddresses(const rapidjson::Value& service);

}  // namespace portico::controlplane
