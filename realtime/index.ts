/**
 * Realtime: channel routing and projections (`channels.ts`), shared by the gateway
 * (`server/`) and the typed client (`client/`).
 */

export type {
  Channel,
  ChannelKind,
  ChannelTemplate,
  KeyField,
  Projection,
  PublicPayload,
  RouteTable,
  Wire,
} from './channels.ts';
export { channelKinds, full, routes } from './channels.ts';
