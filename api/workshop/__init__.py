"""The service department (售后服务): labour operations, technicians, bays, opening hours,
appointments and slot search. Work orders are the `api.work_orders` domain."""
