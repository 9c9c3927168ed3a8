"""Work orders (维修工单) through the 4S flow: their labour and parts lines, clocked time, the
quality check, settlement and invoices. The satisfaction follow-up (信息反馈) is `api.feedback`."""
