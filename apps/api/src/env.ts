/** Hono context variables shared by middleware and routes. */
export interface AuthUser {
  /** The token's `sub`: the user id every ownership check compares with. */
  readonly id: string;
  readonly admin: boolean;
}

export interface AppEnv {
  Variables: {
    user: AuthUser;
    requestId: string;
  };
}
