// Types of public/room-protocol.js (a plain ES module served as-is and imported by the server).

export declare const CLOSE: {
  readonly UNSUPPORTED: 1003;
  readonly POLICY: 1008;
  readonly TOO_BIG: 1009;
  readonly IDLE: 4408;
  readonly ERASED: 4410;
};
export declare const HARD_FRAME_CAP: number;
export declare const CHAT_FRAME_CAP: number;
export declare const PING_TEXT: '{"type":"ping"}';
export declare const MAX_ROOM_ID_LENGTH: number;
export declare const SUBJECT: RegExp;
export declare const VOUCHER_PREFIX: "voucher:";
