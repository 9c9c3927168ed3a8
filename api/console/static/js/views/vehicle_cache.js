// Vehicles looked up once per session, by id or VIN, so lists can show plates and models.

import { get } from "../api.js";
import { h } from "../dom.js";

const byId = new Map();
const byVin = new Map();

/** The vehicle (crm VehicleRead) with this id; one request per id per session. */
export function vehicleById(id) {
  if (!byId.has(id)) byId.set(id, get(`/crm/vehicles/${id}`).catch(() => null));
  return byId.get(id);
}

/** The vehicle with this VIN, or null when it is not visible to the user. */
export function vehicleByVin(vin) {
  if (!byVin.has(vin)) {
    byVin.set(vin, get("/crm/vehicles", { q: vin, limit: 1 }).then((p) => p.items.find((v) => v.vin === vin) || null).catch(() => null));
  }
  return byVin.get(vin);
}

/** "沪A·D12345 · Passat" for a vehicle. */
export function describe(vehicle) {
  if (!vehicle) return "";
  return [vehicle.plate, `${vehicle.make} ${vehicle.model}`].filter(Boolean).join(" · ");
}

/** A link to the vehicle page whose second line fills in once the vehicle is known. */
export function vehicleCell(vin, context, vehicleId = null) {
  const detail = h("span", { class: "muted plate" });
  const cell = h("a", { class: "vehicle-cell", href: `#/vehicles/${encodeURIComponent(vin || "")}` },
    h("span", { class: "vin" }, vin || "…"), detail);
  const lookup = vehicleId ? vehicleById(vehicleId) : vehicleByVin(vin);
  lookup.then((vehicle) => {
    if (!vehicle) return;
    detail.textContent = describe(vehicle);
    if (!vin) {
      cell.href = `#/vehicles/${encodeURIComponent(vehicle.vin)}`;
      cell.querySelector(".vin").textContent = vehicle.vin;
    }
  });
  return cell;
}

export function forgetVehicles() {
  byId.clear();
  byVin.clear();
}
