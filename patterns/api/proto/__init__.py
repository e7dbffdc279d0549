"""The gRPC contract of the model service (`model_service.proto`) and the code generated from it."""
