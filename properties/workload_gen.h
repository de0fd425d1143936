#pragma once
// rapidcheck generators of workloads: a few skus and warehouses, stock from none to plenty, and
// customers with carts that compete for it. Shrinking drops customers and items and lowers
// quantities, so a counterexample ends short.

#include <rapidcheck.h>

#include "sim/workload.h"

namespace csim::properties {

rc::Gen<sim::Workload> GenWorkload(int customers_max = 12);

}  // namespace csim::properties
