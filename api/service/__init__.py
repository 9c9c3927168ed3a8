"""After-sales service (售后服务): labour operations, technicians, bays, appointments, work
orders, invoices, and the satisfaction follow-up (信息反馈)."""
