CREATE DATABASE outstream_registry;
