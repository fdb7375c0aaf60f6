/** Values the vitest global setups hand to test files through `inject()`. */
declare module "vitest" {
  export interface ProvidedContext {
    /** Server URL (database `postgres`); tests clone `templateDatabase` from it. */
    postgresUrl: string;
    templateDatabase: string;
    /** kafkajs `brokers` of the run's broker: $KAFKA_BROKERS or a throw-away local one. */
    kafkaBrokers: string[];
  }
}

export {};
