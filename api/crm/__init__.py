"""Customer relationship management (客户关系管理): customers, vehicles, interactions."""
