from faulty_plugins.armed import ping_router

router = ping_router("faulty_owner")
