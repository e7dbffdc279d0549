"""Architecture 2, the dedicated model API: the model lives in its own service, the front calls it.

`service` (HTTP, waitress), `grpc_service` (gRPC, contract in `proto/`) and `amqp_worker` (RabbitMQ
request/reply) are the server sides and share one prediction step (`predicting`); `http_client`,
`grpc_client` and `amqp_client` are the front's side and share one reading of the answer
(`answers`); `backend` plugs them into the shared web front; `system` starts the processes and
replaces the model service without failing requests.
"""
